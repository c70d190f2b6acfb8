// Models that cannot be loaded say why, and nothing crashes (these also run under ASan/UBSan in CI).
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "api/builtin_model.h"
#include "api/model_info.h"
#include "formats/safetensors_writer.h"
#include "model/model.h"
#include "test_support.h"

using namespace loom;
namespace fs = std::filesystem;
using nlohmann::json;

class TestModelErrors : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    int counter_ = 0;

    // A copy of the built-in model folder whose config.json is changed by `edit`.
    fs::path copy_with_config(const std::function<void(json&)>& edit) {
        fs::path folder = fs::path(dir_.path().toStdString()) / cat("model", counter_++);
        fs::copy(builtin_model_path(), folder, fs::copy_options::recursive);
        json config = json::parse(test::read_file(folder / "config.json"));
        edit(config);
        test::write_file(folder / "config.json", config.dump());
        return folder;
    }

    static void expect_load_error(const fs::path& folder, const std::string& expected) {
        LoadOptions options;
        options.model = folder.string();
        test::expect_error([&] { Model::load(options); }, expected);
        ModelDescription d = describe_model(folder);
        QVERIFY(!d.runnable);
        QVERIFY2(d.problem.find(expected) != std::string::npos, d.problem.c_str());
    }

  private slots:
    void missingConfigFields() {
        for (const char* field :
             {"hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "intermediate_size"})
            expect_load_error(copy_with_config([&](json& c) { c.erase(field); }),
                              std::string("'") + field + "' is missing");
        expect_load_error(copy_with_config([](json& c) { c.erase("model_type"); }), "model_type");
    }

    void wrongValues() {
        expect_load_error(copy_with_config([](json& c) { c["hidden_size"] = "big"; }), "must be an integer");
        expect_load_error(copy_with_config([](json& c) { c["num_key_value_heads"] = 3; }), "cannot share");
        expect_load_error(copy_with_config([](json& c) { c["num_hidden_layers"] = 0; }), "must be positive");
        expect_load_error(copy_with_config([](json& c) { c["num_hidden_layers"] = 6; }), "model.layers.5");
        expect_load_error(copy_with_config([](json& c) { c["intermediate_size"] = 100; }),
                          "has shape [172, 64]");
        expect_load_error(copy_with_config([](json& c) { c["hidden_act"] = "gelu"; }), "hidden_act 'gelu'");
        expect_load_error(copy_with_config([](json& c) {
                              c["rope_scaling"] = {{"type", "yarn"}, {"factor", 4}};
                          }),
                          "'yarn' is not supported");
        expect_load_error(copy_with_config([](json& c) { c["tie_word_embeddings"] = false; }),
                          "no output matrix");
    }

    void unsupportedArchitecture() {
        expect_load_error(copy_with_config([](json& c) { c["model_type"] = "mamba"; }),
                          "architecture 'mamba' is not supported");
        ModelDescription d = describe_model(copy_with_config([](json& c) { c["model_type"] = "mamba"; }));
        QCOMPARE(d.architecture, std::string("mamba"));
        QVERIFY(d.problem.find("not supported") != std::string::npos);
    }

    void missingAndBrokenFiles() {
        fs::path folder = copy_with_config([](json&) {});
        fs::remove(folder / "tokenizer.json");
        expect_load_error(folder, "tokenizer.json");

        folder = copy_with_config([](json&) {});
        test::write_file(folder / "tokenizer.json", "{\"model\": ");
        expect_load_error(folder, "tokenizer");

        folder = copy_with_config([](json&) {});
        std::string weights = test::read_file(folder / "model.safetensors");
        test::write_file(folder / "model.safetensors", weights.substr(0, weights.size() / 2));
        expect_load_error(folder, "truncated");

        folder = copy_with_config([](json&) {});
        fs::remove(folder / "config.json");
        expect_load_error(folder, "config.json");
    }

    void tooBigForMemory() {
        DescribeOptions options;
        options.memory_budget = 1000;  // bytes
        ModelDescription d = describe_model(builtin_model_path(), options);
        QVERIFY(!d.runnable);
        QVERIFY2(d.problem.find("too big") != std::string::npos, d.problem.c_str());
        QVERIFY(describe_model(builtin_model_path()).runnable);
    }
};

QTEST_APPLESS_MAIN(TestModelErrors)
#include "test_model_errors.moc"
