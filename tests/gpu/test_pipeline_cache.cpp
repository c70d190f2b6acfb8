// Keeping compiled pipelines between runs (gpu/pipeline_cache_file.h): a backend that compiled a kernel saves
// its pipeline cache when it goes, the next backend on the device starts from it, a file that is missing,
// damaged or another device's is ignored, and a cache turned off writes nothing.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string_view>

#include "gpu/pipeline_cache_file.h"
#include "gpu/vulkan_backend_impl.h"
#include "gpu_test_support.h"

using namespace loom;
using namespace loom::test;
namespace fs = std::filesystem;

namespace {

// Runs rms_norm on a small tensor, which compiles its pipeline; false when the result is wrong.
bool computes(Backend& backend) {
    const int64_t rows = 3, cols = 64;
    std::vector<float> x(rows * cols, 2.0f), weight(cols, 0.5f);
    Tensor y = backend.allocate(DType::F32, rows, cols);
    backend.rms_norm(upload_f32(backend, rows, cols, x), upload_f32(backend, 1, cols, weight), 1e-6f, y);
    std::vector<float> got = read_all(backend, y);
    return std::all_of(got.begin(), got.end(), [](float v) { return std::abs(v - 0.5f) < 1e-4f; });
}

gpu::VulkanBackend& vulkan(Backend& backend) {
    return dynamic_cast<gpu::VulkanBackend&>(backend);
}

size_t initial_bytes(Backend& backend) {
    return vulkan(backend).pipelines().initial_bytes();
}

// Every file under `folder` whose name starts with `prefix`.
std::vector<fs::path> files_under(const fs::path& folder, std::string_view prefix) {
    std::vector<fs::path> files;
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(folder, error); !error && it != fs::end(it);
         it.increment(error))
        if (it->is_regular_file() && it->path().filename().string().starts_with(prefix))
            files.push_back(it->path());
    return files;
}

// Loom's pipeline caches under `folder`, temporary files included. (Drivers may keep caches of their own in
// the user's cache folder too: Mesa's, there unless turned off.)
std::vector<fs::path> caches_under(const fs::path& folder) {
    return files_under(folder, "pipelines-");
}

std::vector<std::byte> read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    std::memcpy(bytes.data(), chars.data(), chars.size());
    return bytes;
}

void write_bytes(const fs::path& file, std::span<const std::byte> bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

uint32_t header_field(std::span<const std::byte> data, size_t offset) {
    uint32_t value = 0;
    std::memcpy(&value, data.data() + offset, 4);  // little-endian, as the hosts Loom runs on
    return value;
}

void set_header_field(std::vector<std::byte>& data, size_t offset, uint32_t value) {
    std::memcpy(data.data() + offset, &value, 4);
}

}  // namespace

class TestPipelineCache : public QObject {
    Q_OBJECT

  private:
    // Each test has a folder of its own, and the user's cache folder inside it: nothing reaches the real one.
    std::unique_ptr<QTemporaryDir> dir_;
    fs::path root() const { return dir_->path().toStdString(); }
    fs::path folder() const { return root() / "cache"; }

    // A backend that compiles a kernel and goes; false when the kernel computed a wrong result.
    static bool run_once(const VulkanOptions& options = {}, gpu::PhysicalDevice* physical = nullptr) {
        std::unique_ptr<Backend> backend = make_vulkan_backend(options);
        if (physical) *physical = vulkan(*backend).device().physical();
        return computes(*backend);
    }

  private slots:
    // Mesa's drivers (lavapipe) keep a shader cache of their own in the user's cache folder, which these
    // tests move from one temporary folder to the next: off, so that it does not complain of missing ones.
    void initTestCase() { qputenv("MESA_SHADER_CACHE_DISABLE", "true"); }

    void init() {
        dir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(dir_->isValid());
        qputenv("LOOM_VULKAN_PIPELINE_CACHE", QByteArray::fromStdString(folder().string()));
        qputenv("XDG_CACHE_HOME", QByteArray::fromStdString((root() / "xdg").string()));
        qputenv("HOME", QByteArray::fromStdString((root() / "home").string()));
    }

    void savesOneFileThatTheNextBackendReads() {
        std::unique_ptr<Backend> first = make_vulkan_backend({});
        QCOMPARE(initial_bytes(*first), size_t{0});
        QVERIFY(computes(*first));
        const gpu::PhysicalDevice physical = vulkan(*first).device().physical();
        first.reset();

        std::vector<fs::path> files = caches_under(root());
        QCOMPARE(files.size(), size_t{1});
        VulkanOptions options;
        options.pipeline_cache_folder = folder().string();
        QCOMPARE(files[0], gpu::pipeline_cache_file(options, physical));
        std::vector<std::byte> data = read_bytes(files[0]);
        QVERIFY(data.size() >= 32);
        QVERIFY(header_field(data, 0) >= 32);
        QCOMPARE(header_field(data, 4), uint32_t{VK_PIPELINE_CACHE_HEADER_VERSION_ONE});
        QCOMPARE(header_field(data, 8), physical.vendor_id);
        QCOMPARE(header_field(data, 12), physical.device_id);
        QVERIFY(std::memcmp(data.data() + 16, physical.pipeline_cache_uuid.data(), VK_UUID_SIZE) == 0);
        QVERIFY(gpu::pipeline_cache_fits(data, physical));

        std::unique_ptr<Backend> second = make_vulkan_backend({});
        QCOMPARE(initial_bytes(*second), data.size());
        QVERIFY(computes(*second));
        second.reset();
        QCOMPARE(caches_under(root()).size(), size_t{1});  // replaced, not added to
    }

    // Nothing compiled, nothing new to keep.
    void backendWithoutKernelsSavesNothing() {
        std::unique_ptr<Backend> backend = make_vulkan_backend({});
        backend->allocate(DType::F32, 4, 4);
        backend.reset();
        QVERIFY(caches_under(root()).empty());
    }

    void ignoresDamagedOrForeignFiles() {
        gpu::PhysicalDevice physical;
        QVERIFY(run_once({}, &physical));
        std::vector<fs::path> files = caches_under(root());
        QCOMPARE(files.size(), size_t{1});
        const fs::path file = files[0];
        const std::vector<std::byte> valid = read_bytes(file);

        std::mt19937 random(7);
        std::vector<std::byte> noise(4096);
        for (std::byte& b : noise)
            b = static_cast<std::byte>(random());
        auto changed = [&](size_t offset, uint32_t value) {
            std::vector<std::byte> data = valid;
            set_header_field(data, offset, value);
            return data;
        };
        std::vector<std::byte> other_uuid = valid;
        other_uuid[16] ^= std::byte{1};
        const struct {
            const char* what;
            std::vector<std::byte> data;
        } cases[] = {
            {"empty", {}},
            {"random bytes", noise},
            {"a truncated header", {valid.begin(), valid.begin() + 20}},
            {"a header size under 32", changed(0, 16)},
            {"a header size beyond the file", changed(0, static_cast<uint32_t>(valid.size() + 1))},
            {"another header version", changed(4, 2)},
            {"another vendor", changed(8, physical.vendor_id ^ 1)},
            {"another device", changed(12, physical.device_id ^ 1)},
            {"another UUID", other_uuid},
        };
        for (const auto& c : cases) {
            write_bytes(file, c.data);
            QVERIFY2(!gpu::pipeline_cache_fits(c.data, physical), c.what);
            std::unique_ptr<Backend> backend = make_vulkan_backend({});
            QVERIFY2(initial_bytes(*backend) == 0, c.what);
            QVERIFY2(computes(*backend), c.what);
            backend.reset();
            QVERIFY2(gpu::pipeline_cache_fits(read_bytes(file), physical), c.what);  // saved over it
        }

        // A valid header over a damaged body is given to the driver, which may refuse it: either way the
        // backend works.
        std::vector<std::byte> damaged(valid.begin(), valid.begin() + header_field(valid, 0));
        damaged.insert(damaged.end(), noise.begin(), noise.end());
        write_bytes(file, damaged);
        QVERIFY(computes(*make_vulkan_backend({})));

        // A file larger than the cap is not read (a sparse one: no disk used).
        write_bytes(file, valid);
        fs::resize_file(file, gpu::kMaxPipelineCacheBytes + 1);
        QVERIFY(gpu::read_pipeline_cache(file, physical).empty());
        QCOMPARE(initial_bytes(*make_vulkan_backend({})), size_t{0});
    }

    void turnedOffWritesNothing() {
        {
            ScopedEnv off("LOOM_VULKAN_PIPELINE_CACHE", "0");
            QVERIFY(run_once());
        }
        ScopedEnv unset("LOOM_VULKAN_PIPELINE_CACHE", nullptr);
        VulkanOptions options;
        options.pipeline_cache_on_disk = false;
        QVERIFY(run_once(options));
        QVERIFY(caches_under(root()).empty());
    }

    // Without a folder: $XDG_CACHE_HOME/loom/vulkan (when absolute), else $HOME/.cache/loom/vulkan.
    void defaultFolders() {
        ScopedEnv unset("LOOM_VULKAN_PIPELINE_CACHE", nullptr);
        QVERIFY(run_once());
        QCOMPARE(caches_under(root()).size(), size_t{1});
        QCOMPARE(caches_under(root() / "xdg" / "loom" / "vulkan").size(), size_t{1});
        {
            ScopedEnv relative("XDG_CACHE_HOME", "relative-xdg");
            QVERIFY(run_once());
            QVERIFY(!fs::exists("relative-xdg"));
        }
        ScopedEnv no_xdg("XDG_CACHE_HOME", nullptr);
        QVERIFY(run_once());
        QCOMPARE(caches_under(root() / "home" / ".cache" / "loom" / "vulkan").size(), size_t{1});
        QCOMPARE(caches_under(root()).size(), size_t{2});
        ScopedEnv no_home("HOME", nullptr);
        QVERIFY(gpu::pipeline_cache_file({}, {}).empty());  // nowhere to keep it: memory only
    }

    void folderFromTheOptions() {
        ScopedEnv unset("LOOM_VULKAN_PIPELINE_CACHE", nullptr);
        VulkanOptions options;
        options.pipeline_cache_folder = (root() / "a" / "b").string();
        QVERIFY(run_once(options));
        QCOMPARE(caches_under(root() / "a" / "b").size(), size_t{1});
        QCOMPARE(caches_under(root()).size(), size_t{1});
    }

    // A folder that cannot be made (a file stands in its way): the backend works and leaves nothing behind.
    void unwritableFolderIsIgnored() {
        write_bytes(root() / "file", {});
        ScopedEnv blocked("LOOM_VULKAN_PIPELINE_CACHE", (root() / "file" / "cache").c_str());
        QVERIFY(run_once());
        QVERIFY(caches_under(root()).empty());
    }

    void writesAtomically() {
        const fs::path file = root() / "new" / "data.bin";
        const std::byte first[] = {std::byte{1}, std::byte{2}, std::byte{3}};
        const std::byte second[] = {std::byte{4}};
        QVERIFY(gpu::write_file_atomically(file, first));
        QVERIFY(gpu::write_file_atomically(file, second));
        QVERIFY(read_bytes(file) == std::vector<std::byte>(std::begin(second), std::end(second)));
        QCOMPARE(files_under(root(), "").size(), size_t{1});  // no temporary file left
        QVERIFY(!gpu::write_file_atomically(file / "below a file", first));
        fs::create_directory(root() / "folder");
        QVERIFY(!gpu::write_file_atomically(root() / "folder", first));  // a folder is not replaced
        QCOMPARE(files_under(root(), "").size(), size_t{1});
    }
};

QTEST_APPLESS_MAIN(TestPipelineCache)
#include "test_pipeline_cache.moc"
