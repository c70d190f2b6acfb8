// The Hugging Face hub cache on disk, as huggingface_hub lays it out:
//
//   <root>/models--<org>--<name>/refs/main            -> text file holding a commit hash
//   <root>/models--<org>--<name>/snapshots/<commit>/  -> the files of that revision, as symlinks
//   <root>/models--<org>--<name>/blobs/<sha256>        -> the file contents
//
// <root> is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

std::filesystem::path hf_cache_root();

struct HfCacheRepo {
    std::string id;                                // "org/name"
    std::filesystem::path folder;                  // <root>/models--org--name
    std::optional<std::string> main;               // the commit refs/main points to, if any
    std::vector<std::filesystem::path> snapshots;  // <folder>/snapshots/<commit>, sorted
};

// The model repositories in a cache root (datasets and spaces are skipped). Missing root: empty list.
std::vector<HfCacheRepo> list_hf_cache(const std::filesystem::path& root);

// Resolves what a user typed to a model folder or file on disk:
//   - an existing file or folder: itself; a repo folder "models--org--name": its refs/main snapshot;
//   - "org/name" or "org/name@revision" (branch, tag or commit): that snapshot in the cache at `cache_root`;
//   - a folder (or snapshot) without config.json that holds one GGUF file: that file (with several, an
//     Error naming them).
// Throws Error saying where it looked when nothing matches.
std::filesystem::path resolve_model_location(std::string_view spec, const std::filesystem::path& cache_root);
inline std::filesystem::path resolve_model_location(std::string_view spec) {
    return resolve_model_location(spec, hf_cache_root());
}

// Follows `path` if it is a symlink, accepting the target only if it exists and lies inside `repo_folder`
// (snapshot files must point into the repo's blobs/). Throws Error for a broken or escaping link.
std::filesystem::path follow_snapshot_link(const std::filesystem::path& path,
                                           const std::filesystem::path& repo_folder);

// If `folder` is a snapshot inside a cache repo (<repo>/snapshots/<commit>), checks that every file in it is
// a regular file or a link into the repo that resolves; throws Error for a broken or escaping link.
void check_snapshot_links(const std::filesystem::path& folder);

}  // namespace loom
