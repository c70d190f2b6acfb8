#include "formats/hf_cache.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "util/error.h"

namespace loom {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
    auto space = [](unsigned char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (!s.empty() && space(static_cast<unsigned char>(s.back())))
        s.pop_back();
    size_t start = 0;
    while (start < s.size() && space(static_cast<unsigned char>(s[start])))
        ++start;
    return s.substr(start);
}

// A ref or revision names a folder under snapshots/: refuse anything that could walk out of it.
bool is_safe_name(std::string_view name) {
    if (name.empty() || name == "." || name == "..") return false;
    return name.find('/') == std::string_view::npos && name.find('\\') == std::string_view::npos &&
           name.find('\0') == std::string_view::npos;
}

std::optional<std::string> read_ref(const fs::path& repo_folder, const std::string& ref) {
    std::ifstream in(repo_folder / "refs" / ref);
    if (!in) return std::nullopt;
    std::string commit((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    commit = trim(commit);
    if (!is_safe_name(commit)) return std::nullopt;
    return commit;
}

fs::path repo_folder_for(std::string_view id, const fs::path& root) {
    std::string name = "models--";
    for (char c : id) {
        if (c == '/')
            name += "--";
        else
            name += c;
    }
    return root / name;
}

fs::path snapshot_of(const fs::path& repo_folder, std::string_view revision, std::string_view shown_as) {
    std::string rev(revision);
    if (!is_safe_name(rev)) fail("'", rev, "' is not a valid revision name");
    if (auto commit = read_ref(repo_folder, rev)) rev = *commit;  // a branch or tag name
    fs::path snapshot = repo_folder / "snapshots" / rev;
    if (fs::is_directory(snapshot)) return snapshot;
    fail("the Hugging Face cache has no snapshot '", rev, "' of ", shown_as, " (looked in ",
         (repo_folder / "snapshots").string(), ")");
}

}  // namespace

fs::path hf_cache_root() {
    if (const char* hub = std::getenv("HF_HUB_CACHE"); hub && *hub) return hub;
    if (const char* home = std::getenv("HF_HOME"); home && *home) return fs::path(home) / "hub";
    const char* user_home = std::getenv("HOME");
    return fs::path(user_home && *user_home ? user_home : "/") / ".cache" / "huggingface" / "hub";
}

std::vector<HfCacheRepo> list_hf_cache(const fs::path& root) {
    std::vector<HfCacheRepo> repos;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return repos;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        std::string folder_name = entry.path().filename().string();
        if (folder_name.rfind("models--", 0) != 0 || !entry.is_directory(ec)) continue;
        HfCacheRepo repo;
        repo.folder = entry.path();
        std::string rest = folder_name.substr(8);
        size_t sep = rest.find("--");
        repo.id = sep == std::string::npos ? rest : rest.substr(0, sep) + "/" + rest.substr(sep + 2);
        repo.main = read_ref(repo.folder, "main");
        for (const auto& snap : fs::directory_iterator(repo.folder / "snapshots", ec))
            if (snap.is_directory(ec)) repo.snapshots.push_back(snap.path());
        ec.clear();
        std::sort(repo.snapshots.begin(), repo.snapshots.end());
        repos.push_back(std::move(repo));
    }
    std::sort(repos.begin(), repos.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return repos;
}

namespace {

// A folder without config.json that holds GGUF files (a GGUF repository's snapshot has one per quantization):
// its only GGUF file; several are an error listing them. Anything else is returned as it is.
fs::path gguf_in_folder(const fs::path& location) {
    std::error_code ec;
    if (!fs::is_directory(location, ec) || fs::exists(location / "config.json", ec)) return location;
    std::vector<std::string> ggufs;
    for (const auto& entry : fs::directory_iterator(location, ec))
        if (entry.path().extension() == ".gguf") ggufs.push_back(entry.path().filename().string());
    if (ggufs.empty()) return location;
    std::sort(ggufs.begin(), ggufs.end());
    if (ggufs.size() == 1) return location / ggufs[0];
    std::string names;
    for (const std::string& name : ggufs)
        names += (names.empty() ? "" : ", ") + name;
    fail(location.string(), " holds ", ggufs.size(), " GGUF files (", names, "): give one of them, e.g. ",
         (location / ggufs[0]).string());
}

}  // namespace

fs::path resolve_model_location(std::string_view spec, const fs::path& cache_root) {
    if (spec.empty()) fail("no model given");
    std::error_code ec;
    fs::path as_path(spec);
    if (fs::exists(as_path, ec)) {
        std::string name = fs::absolute(as_path).filename().string();
        if (name.rfind("models--", 0) == 0 && fs::is_directory(as_path / "snapshots"))
            return gguf_in_folder(snapshot_of(as_path, "main", name));
        return gguf_in_folder(fs::absolute(as_path));
    }
    // "org/name" or "org/name@revision"; anything that looks like a path but does not exist is an error.
    std::string id(spec), revision = "main";
    if (size_t at = id.find('@'); at != std::string::npos) {
        revision = id.substr(at + 1);
        id = id.substr(0, at);
    }
    size_t slash = id.find('/');
    bool looks_like_id = slash != std::string::npos && slash > 0 && slash + 1 < id.size() &&
                         id.find('/', slash + 1) == std::string::npos && id[0] != '.';
    if (!looks_like_id) fail("no model file or folder at '", std::string(spec), "'");
    fs::path repo = repo_folder_for(id, cache_root);
    if (!fs::is_directory(repo))
        fail("'", id, "' is neither a file nor a model in the Hugging Face cache (looked for ", repo.string(),
             "). Download it with `huggingface-cli download ", id, "` or give a path.");
    return gguf_in_folder(snapshot_of(repo, revision, id));
}

fs::path follow_snapshot_link(const fs::path& path, const fs::path& repo_folder) {
    std::error_code ec;
    if (!fs::is_symlink(path, ec)) return path;
    fs::path target = fs::read_symlink(path, ec);
    if (ec) fail("cannot read the link ", path.string(), ": ", ec.message());
    if (target.is_relative()) target = path.parent_path() / target;
    fs::path resolved = fs::weakly_canonical(target, ec);
    if (ec || !fs::exists(resolved)) fail(path.string(), " is a broken link (the download is incomplete)");
    fs::path repo = fs::weakly_canonical(repo_folder, ec);
    auto [repo_end, _] = std::mismatch(repo.begin(), repo.end(), resolved.begin(), resolved.end());
    if (repo_end != repo.end())
        fail(path.string(), " points outside its repository folder: refusing to follow it");
    return resolved;
}

void check_snapshot_links(const fs::path& folder) {
    fs::path absolute = fs::absolute(folder);
    if (absolute.filename().empty()) absolute = absolute.parent_path();
    fs::path repo = absolute.parent_path().parent_path();
    if (absolute.parent_path().filename() != "snapshots" ||
        repo.filename().string().rfind("models--", 0) != 0)
        return;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(absolute, ec))
        follow_snapshot_link(entry.path(), repo);
}

}  // namespace loom
