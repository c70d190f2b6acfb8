// loom-cli as a user runs it: a real process, its stdout, stderr and exit code.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

namespace {

struct Run {
    int exit_code;
    QString out;
    QString err;
};

Run run_cli(const QStringList& arguments,
            const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(LOOM_CLI, arguments);
    process.waitForFinished(120000);
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

const QString kSample =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, "
    "she saw a "
    "big, red ball. She wanted to play with it, but it was too high";

}  // namespace

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

  private slots:
    void generatePrintsTheStory() {
        Run run = run_cli({"generate", "--max-tokens", "60", "--backend", "cpu"});
        QCOMPARE(run.exit_code, 0);
        QVERIFY2(run.out.startsWith(kSample), qPrintable(run.out));
        QVERIFY2(run.err.contains("tok/s"), qPrintable(run.err));
    }

    void sameTextOnVulkan() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VK_ICD_FILENAMES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json");
        Run run = run_cli({"generate", "--max-tokens", "60", "--backend", "vulkan"}, env);
        QCOMPARE(run.exit_code, 0);
        QVERIFY2(run.out.startsWith(kSample), qPrintable(run.out + run.err));
    }

    void whenTheGpuFailsMidReplyTheReplyGoesOnOnTheCpu() {
        // Bindings of 4 KiB hold the keys of about 30 positions of the built-in model: past them the Vulkan
        // backend cannot compute attention, and the story goes on on the CPU, word for word.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VK_ICD_FILENAMES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json");
        env.insert("LOOM_VULKAN_MAX_BINDING", "4K");
        Run run = run_cli({"generate", "--max-tokens", "60", "--backend", "vulkan"}, env);
        QCOMPARE(run.exit_code, 0);
        QVERIFY2(run.out.startsWith(kSample), qPrintable(run.out + run.err));
        QVERIFY2(run.err.contains("can bind at once") && run.err.contains("going on on the CPU"),
                 qPrintable(run.err));

        env.insert("LOOM_VULKAN_MAX_BINDING", "lots");
        Run bad = run_cli({"generate", "--max-tokens", "60", "--backend", "vulkan"}, env);
        QCOMPARE(bad.exit_code, 0);
        QVERIFY2(bad.out.startsWith(kSample), qPrintable(bad.out));
        QVERIFY2(bad.err.contains("LOOM_VULKAN_MAX_BINDING='lots' is not a size"), qPrintable(bad.err));
    }

    void withoutAVulkanDriverItRunsOnTheCpuSayingWhy() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VK_ICD_FILENAMES", "/nonexistent/vulkan/icd.json");
        Run run = run_cli({"generate", "--max-tokens", "60", "--backend", "vulkan"}, env);
        QCOMPARE(run.exit_code, 0);
        QVERIFY2(run.out.startsWith(kSample), qPrintable(run.out));
        QVERIFY2(run.err.contains("Vulkan is not available"), qPrintable(run.err));
        Run devices = run_cli({"devices"}, env);
        QVERIFY2(devices.out.contains("Vulkan: not available"), qPrintable(devices.out));
    }

    void jsonHasOneObjectPerToken() {
        Run run =
            run_cli({"generate", "--json", "--max-tokens", "5", "--prompt", "Lily", "--backend", "cpu"});
        QCOMPARE(run.exit_code, 0);
        QStringList lines = run.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 6);  // five tokens and the summary
        for (int i = 0; i < 5; ++i) {
            nlohmann::json token = nlohmann::json::parse(lines[i].toStdString());
            QCOMPARE(token["type"].get<std::string>(), std::string("token"));
            QCOMPARE(token["top"].size(), size_t(5));
            QVERIFY(token["logprob"].get<double>() <= 0.0);
            QCOMPARE(token["id"].get<int>(), token["top"][0]["id"].get<int>());  // greedy takes the top one
        }
        nlohmann::json done = nlohmann::json::parse(lines[5].toStdString());
        QCOMPARE(done["generated_tokens"].get<int>(), 5);
    }

    void sameSeedSameText() {
        QStringList args = {"generate", "--temperature", "1.5", "--seed",    "42", "--min-p", "0", "--top-p",
                            "1",        "--max-tokens",  "30",  "--backend", "cpu"};
        Run a = run_cli(args), b = run_cli(args);
        QCOMPARE(a.out, b.out);
        args[4] = "43";
        QVERIFY(run_cli(args).out != a.out);
    }

    void badInputSaysWhatToDo_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("no command") << QStringList{} << "usage";
        QTest::newRow("unknown command") << QStringList{"fly"} << "unknown command 'fly'";
        QTest::newRow("unknown option")
            << QStringList{"generate", "--colour", "red"} << "unknown argument '--colour'";
        QTest::newRow("bad number") << QStringList{"generate", "--max-tokens", "lots"}
                                    << "needs a whole number";
        QTest::newRow("absurd temperature")
            << QStringList{"generate", "--temperature", "-3"} << "between 0 and 100";
        QTest::newRow("missing model")
            << QStringList{"generate", "--model", "/no/such/model"} << "no model file";
        QTest::newRow("unknown repo")
            << QStringList{"generate", "--model", "nobody/nothing"} << "huggingface-cli download";
        QTest::newRow("unknown backend")
            << QStringList{"generate", "--backend", "tpu"} << "choose auto, cpu or vulkan";
        QTest::newRow("unknown quantization")
            << QStringList{"generate", "--quantize", "Q9"} << "unknown weight type";
        QTest::newRow("tokenize without text") << QStringList{"tokenize"} << "--text";
    }
    void badInputSaysWhatToDo() {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("HF_HUB_CACHE", dir_.filePath("empty-cache"));
        Run run = run_cli(arguments, env);
        QVERIFY(run.exit_code != 0);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
    }

    void helpAfterACommand() {
        Run run = run_cli({"generate", "--help"});
        QCOMPARE(run.exit_code, 0);
        QVERIFY2(run.out.contains("--max-tokens") && run.out.contains("--repeat-penalty"),
                 qPrintable(run.out));
        Run prompt = run_cli({"generate", "--prompt", "--help", "--max-tokens", "3", "--backend", "cpu"});
        QCOMPARE(prompt.exit_code, 0);
        QVERIFY2(prompt.out.startsWith("--help"), qPrintable(prompt.out));  // a prompt, echoed, then 3 tokens
    }

    void inspectAndTokenize() {
        Run inspect = run_cli({"inspect"});
        QCOMPARE(inspect.exit_code, 0);
        QVERIFY(inspect.out.contains("architecture:  llama"));
        QVERIFY(inspect.out.contains("SentencePiece BPE"));
        QVERIFY(inspect.out.contains("model.layers.4.mlp.down_proj.weight"));
        Run tokens = run_cli({"tokenize", "--text", "Once upon a time", "--json"});
        QCOMPARE(tokens.exit_code, 0);
        nlohmann::json ids = nlohmann::json::parse(tokens.out.toStdString());
        QCOMPARE(ids["ids"].size(), ids["pieces"].size());
        QCOMPARE(ids["ids"][0].get<int>(), 1);  // BOS

        // A folder with nothing of a model in it is an error (stderr, exit 1), not a description.
        QTemporaryDir nothing;
        Run empty = run_cli({"inspect", "--model", nothing.path()});
        QCOMPARE(empty.exit_code, 1);
        QVERIFY(empty.out.isEmpty());
        QVERIFY2(empty.err.contains("is not a model") && empty.err.contains("no config.json"),
                 qPrintable(empty.err));
    }

    void convertWritesALoadableGguf() {
        QString file = dir_.filePath("stories-f16.gguf");
        Run convert = run_cli({"convert", "--out", file, "--type", "F16"});
        QCOMPARE(convert.exit_code, 0);
        Run generate = run_cli({"generate", "--model", file, "--max-tokens", "20", "--backend", "cpu"});
        QCOMPARE(generate.exit_code, 0);
        QVERIFY2(generate.out.startsWith("Once upon a time, there was a little girl"),
                 qPrintable(generate.out));
        Run inspect = run_cli({"inspect", "--model", file, "--brief"});
        QVERIFY(inspect.out.contains("format:        GGUF"));
        QVERIFY(inspect.out.contains("F16"));
    }

    // The figures bench prints (their values depend on the machine: only their presence and form are
    // checked), and the positions whose keys and values a decoded token reads on average: 8 of the prompt,
    // then 1 to 5 of the decoded tokens.
    void benchPrintsSpeedsAndTheBound() {
        Run run = run_cli({"bench", "-p", "8", "-n", "5", "-r", "1", "-t", "1", "--backend", "cpu"});
        QCOMPARE(run.exit_code, 0);
        for (const char* line : {"prefill:   8 tokens:", "decode:    5 tokens:", "reads:",
                                 "MB per decoded token", "key/value cache", "(11 positions", "memory:"})
            QVERIFY2(run.out.contains(line), qPrintable(run.out));
        QVERIFY2(run.out.contains("GB/s read (median,") && run.out.contains("decode bound"),
                 qPrintable(run.out));
        QVERIFY2(run.out.contains("decode reaches") && run.out.contains("counting the weights alone:"),
                 qPrintable(run.out));
        QVERIFY2(!run.out.contains("steps:"), qPrintable(run.out));
    }

    // On Vulkan (lavapipe here) bench names the device and sets decode against the device's own bandwidth.
    void benchOnVulkan() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VK_ICD_FILENAMES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json");
        Run run = run_cli({"bench", "-p", "8", "-n", "4", "-r", "1", "--backend", "vulkan"}, env);
        QCOMPARE(run.exit_code, 0);
        QVERIFY2(run.out.contains("backend:   Vulkan: llvmpipe"), qPrintable(run.out + run.err));
        for (const char* line : {"prefill:   8 tokens:", "decode:    4 tokens:", "decode bound"})
            QVERIFY2(run.out.contains(line), qPrintable(run.out));
    }

    // --profile adds where decode time went, step by step, most first, with what is outside the forward pass.
    void benchProfilesTheSteps() {
        Run run =
            run_cli({"bench", "-p", "8", "-n", "4", "-r", "1", "-t", "1", "--backend", "cpu", "--profile"});
        QCOMPARE(run.exit_code, 0);
        for (const char* line : {"steps:", "ms ", "output head", "attention", "gate/up projections",
                                 "down projection", "outside the forward pass"})
            QVERIFY2(run.out.contains(line), qPrintable(run.out));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
