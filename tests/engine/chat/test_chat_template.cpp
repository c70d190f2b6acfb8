// The chat templates of real model families (tests/data/chat_templates/, copied verbatim from each model's
// tokenizer_config.json; see SOURCES.md there), rendered for one conversation. The expected prompts are
// written by hand from each family's documented prompt format (model cards and the vendors' prompt-format
// pages), with the exact spacing the template produces, which Hugging Face's transformers renders the same
// way.
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "chat/chat_template.h"
#include "chat/jinja/json.h"
#include "chat/jinja/template.h"
#include "util/error.h"

using namespace loom;

namespace {

const std::vector<ChatMessage> kConversation = {
    {"system", "You are a helpful assistant."},
    {"user", "Hello, who are you?"},
    {"assistant", "I am an AI assistant."},
    {"user", "What can you do?"},
};

std::vector<ChatMessage> without_system() {
    return {kConversation.begin() + 1, kConversation.end()};
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ChatTemplate family_template(const char* family) {
    std::filesystem::path path =
        std::filesystem::path(LOOM_TEST_DATA_DIR) / "chat_templates" / (std::string(family) + ".jinja");
    std::string source = read_file(path);
    if (source.empty()) throw Error(cat("missing test template ", path.string()));
    return ChatTemplate(source);
}

ChatTemplateOptions tokens(const char* bos, const char* eos, bool add_generation_prompt) {
    ChatTemplateOptions options;
    options.bos_token = bos;
    options.eos_token = eos;
    options.add_generation_prompt = add_generation_prompt;
    return options;
}

QByteArray render(const char* family, const std::vector<ChatMessage>& messages,
                  const ChatTemplateOptions& options) {
    return QByteArray::fromStdString(family_template(family).render(messages, options));
}

// The message of the Error the template raises for this conversation.
QByteArray render_error(const char* family, const std::vector<ChatMessage>& messages) {
    try {
        family_template(family).render(messages, tokens("<s>", "</s>", true));
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

void write_file(const QTemporaryDir& dir, const char* name, const std::string& text) {
    std::ofstream(std::filesystem::path(dir.path().toStdString()) / name, std::ios::binary) << text;
}

}  // namespace

class TestChatTemplate : public QObject {
    Q_OBJECT
  private slots:
    // --- one row per family: add_generation_prompt on and off
    // --------------------------------------------------

    void families_data() {
        QTest::addColumn<QByteArray>("family");
        QTest::addColumn<QByteArray>("bos");
        QTest::addColumn<QByteArray>("eos");
        QTest::addColumn<bool>("with_system");
        QTest::addColumn<QByteArray>("with_generation_prompt");
        QTest::addColumn<QByteArray>("without_generation_prompt");

        // Llama 2 chat: [INST] <<SYS>> ... <</SYS>> ... [/INST]; each exchange wrapped in <s> ... </s>.
        QByteArray llama2 =
            "<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHello, who are you? [/INST] "
            "I am an AI assistant. </s><s>[INST] What can you do? [/INST]";
        QTest::newRow("llama2") << QByteArray("llama2") << QByteArray("<s>") << QByteArray("</s>") << true
                                << llama2 << llama2;

        // Llama 3: <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|> per message.
        QByteArray llama3 =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful "
            "assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHello, who are you?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nI am an AI assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat can you do?<|eot_id|>";
        QByteArray llama3_prompt = "<|start_header_id|>assistant<|end_header_id|>\n\n";
        QTest::newRow("llama3") << QByteArray("llama3") << QByteArray("<|begin_of_text|>")
                                << QByteArray("<|eot_id|>") << true << llama3 + llama3_prompt << llama3;

        // Llama 3.1: the system turn opens with the knowledge cutoff and "today" (fixed by the template).
        QByteArray llama31 =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December "
            "2023\n"
            "Today Date: 26 Jul 2024\n\nYou are a helpful assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHello, who are you?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nI am an AI assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat can you do?<|eot_id|>";
        QTest::newRow("llama3.1") << QByteArray("llama3.1") << QByteArray("<|begin_of_text|>")
                                  << QByteArray("<|eot_id|>") << true << llama31 + llama3_prompt << llama31;

        // Qwen2 and SmolLM2: ChatML, <|im_start|>role\ncontent<|im_end|>\n.
        QByteArray chatml =
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHello, who are you?<|im_end|>\n"
            "<|im_start|>assistant\nI am an AI assistant.<|im_end|>\n"
            "<|im_start|>user\nWhat can you do?<|im_end|>\n";
        QByteArray chatml_prompt = "<|im_start|>assistant\n";
        QTest::newRow("qwen2") << QByteArray("qwen2") << QByteArray("") << QByteArray("<|im_end|>") << true
                               << chatml + chatml_prompt << chatml;
        QTest::newRow("qwen2.5") << QByteArray("qwen2.5") << QByteArray("") << QByteArray("<|im_end|>")
                                 << true << chatml + chatml_prompt << chatml;
        QTest::newRow("smollm2") << QByteArray("smollm2") << QByteArray("<|im_start|>")
                                 << QByteArray("<|im_end|>") << true << chatml + chatml_prompt << chatml;

        // Mistral Instruct v0.1, first template: [INST] ... [/INST] answer</s>, no system role.
        QByteArray mistral_original =
            "<s>[INST] Hello, who are you? [/INST]I am an AI assistant.</s> [INST] What can you do? [/INST]";
        QTest::newRow("mistral-v0.1-original")
            << QByteArray("mistral-v0.1-original") << QByteArray("<s>") << QByteArray("</s>") << false
            << mistral_original << mistral_original;

        // Mistral Instruct v0.1/v0.2, current template: the system prompt leads the first [INST].
        QByteArray mistral_v02 =
            "<s> [INST] You are a helpful assistant.\n\nHello, who are you? [/INST] I am an AI "
            "assistant.</s> "
            "[INST] What can you do? [/INST]";
        QTest::newRow("mistral-v0.2") << QByteArray("mistral-v0.2") << QByteArray("<s>") << QByteArray("</s>")
                                      << true << mistral_v02 << mistral_v02;

        // Mistral Instruct v0.3: the system prompt goes into the last [INST], with no space before [/INST].
        QByteArray mistral_v03 =
            "<s>[INST] Hello, who are you?[/INST] I am an AI assistant.</s>"
            "[INST] You are a helpful assistant.\n\nWhat can you do?[/INST]";
        QTest::newRow("mistral-v0.3") << QByteArray("mistral-v0.3") << QByteArray("<s>") << QByteArray("</s>")
                                      << true << mistral_v03 << mistral_v03;

        // TinyLlama chat (Zephyr format): <|role|>\ncontent</s>\n.
        QByteArray zephyr =
            "<|system|>\nYou are a helpful assistant.</s>\n<|user|>\nHello, who are you?</s>\n"
            "<|assistant|>\nI am an AI assistant.</s>\n<|user|>\nWhat can you do?</s>\n";
        QTest::newRow("tinyllama") << QByteArray("tinyllama") << QByteArray("<s>") << QByteArray("</s>")
                                   << true << zephyr + "<|assistant|>\n"
                                   << zephyr;

        // Gemma: <start_of_turn>user|model ... <end_of_turn>, no system role.
        QByteArray gemma =
            "<bos><start_of_turn>user\nHello, who are you?<end_of_turn>\n<start_of_turn>model\n"
            "I am an AI assistant.<end_of_turn>\n<start_of_turn>user\nWhat can you do?<end_of_turn>\n";
        QTest::newRow("gemma") << QByteArray("gemma") << QByteArray("<bos>") << QByteArray("<eos>") << false
                               << gemma + "<start_of_turn>model\n"
                               << gemma;

        // Phi-3: <|role|>\ncontent<|end|>\n; without a generation prompt the template ends with eos.
        QByteArray phi3 =
            "<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello, who are you?<|end|>\n"
            "<|assistant|>\nI am an AI assistant.<|end|>\n<|user|>\nWhat can you do?<|end|>\n";
        QTest::newRow("phi3") << QByteArray("phi3") << QByteArray("<s>") << QByteArray("<|endoftext|>")
                              << true << phi3 + "<|assistant|>\n"
                              << phi3 + "<|endoftext|>";
    }
    void families() {
        QFETCH(QByteArray, family);
        QFETCH(QByteArray, bos);
        QFETCH(QByteArray, eos);
        QFETCH(bool, with_system);
        QFETCH(QByteArray, with_generation_prompt);
        QFETCH(QByteArray, without_generation_prompt);
        std::vector<ChatMessage> messages = with_system ? kConversation : without_system();
        QCOMPARE(render(family, messages, tokens(bos, eos, true)), with_generation_prompt);
        QCOMPARE(render(family, messages, tokens(bos, eos, false)), without_generation_prompt);
    }

    // --- family-specific behaviour -------------------------------------------------------------------------

    void llama32PrintsTheDateItIsGiven() {
        ChatTemplateOptions options = tokens("<|begin_of_text|>", "<|eot_id|>", true);
        using namespace std::chrono;
        options.now = local_days{year{2025} / 3 / 5} + hours{9};
        QByteArray expected =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December "
            "2023\n"
            "Today Date: 05 Mar 2025\n\nYou are a helpful assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHello, who are you?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nI am an AI assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat can you do?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n";
        QCOMPARE(render("llama3.2", kConversation, options), expected);
    }

    void llamaWithoutSystemMessageKeepsTheDateHeader() {
        QByteArray expected =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December "
            "2023\n"
            "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello, who are "
            "you?"
            "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an AI assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat can you do?<|eot_id|>";
        QCOMPARE(render("llama3.1", without_system(), tokens("<|begin_of_text|>", "<|eot_id|>", false)),
                 expected);
    }

    void defaultSystemPromptsWhenNoneIsGiven() {
        QByteArray qwen25 = render("qwen2.5", without_system(), tokens("", "<|im_end|>", true));
        QVERIFY(
            qwen25.startsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
                              "assistant.<|im_end|>\n<|im_start|>user\nHello, who are you?<|im_end|>\n"));
        QByteArray qwen2 = render("qwen2", without_system(), tokens("", "<|im_end|>", true));
        QVERIFY(qwen2.startsWith(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"));
        QByteArray smol = render("smollm2", without_system(), tokens("", "<|im_end|>", true));
        QVERIFY(smol.startsWith(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face<|im_end|>\n<|im_start|>user\n"));
    }

    void messageWhitespaceIsTrimmedWhereTheTemplateSaysSo() {
        std::vector<ChatMessage> padded = {
            {"user", "  Hi  "}, {"assistant", "\n Hello! \n"}, {"user", "Bye "}};
        QCOMPARE(render("llama2", padded, tokens("<s>", "</s>", true)),
                 QByteArray("<s>[INST] Hi [/INST] Hello! </s><s>[INST] Bye [/INST]"));
        QCOMPARE(render("gemma", padded, tokens("<bos>", "<eos>", false)),
                 QByteArray(
                     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                     "<start_of_turn>user\nBye<end_of_turn>\n"));
        // ChatML templates print content as it is.
        QVERIFY(render("qwen2.5", padded, tokens("", "<|im_end|>", false))
                    .contains("<|im_start|>user\n  Hi  <|im_end|>"));
    }

    // The tools branch of Qwen2.5's template, which ChatTemplate never takes (it passes no tools), run
    // through the template engine directly. Expected text: Qwen's function-calling documentation.
    void qwen25ToolsBranch() {
        nlohmann::ordered_json variables = nlohmann::ordered_json::parse(
            "{ "
            "\"add_generation_prompt\": true, "
            "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_current_temperature\", "
            "\"description\": \"Get current temperature at a location.\", "
            "\"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}}, "
            "\"required\": [\"location\"]}}}], "
            "\"messages\": [ "
            "{\"role\": \"user\", \"content\": \"What's the temperature in San Francisco now?\"}, "
            "{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"type\": \"function\", "
            "\"function\": { "
            "\"name\": \"get_current_temperature\", \"arguments\": {\"location\": \"San Francisco, CA, "
            "USA\"}}}]}, "
            "{\"role\": \"tool\", \"content\": \"{\\\"temperature\\\": 26.1, \\\"unit\\\": "
            "\\\"celsius\\\"}\"} "
            "]}");
        jinja::Dict globals;
        for (const auto& [name, value] : variables.items())
            globals.set(name, jinja::from_json(value));
        std::string source =
            read_file(std::filesystem::path(LOOM_TEST_DATA_DIR) / "chat_templates" / "qwen2.5.jinja");
        QByteArray expected =
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n"
            "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            "{\"type\": \"function\", \"function\": {\"name\": \"get_current_temperature\", "
            "\"description\": \"Get current temperature at a location.\", \"parameters\": {\"type\": "
            "\"object\", "
            "\"properties\": {\"location\": {\"type\": \"string\"}}, \"required\": "
            "[\"location\"]}}}\n</tools>\n\n"
            "For each function call, return a json object with function name and arguments within "
            "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
            "<args-json-object>}\n</tool_call><|im_end|>\n"
            "<|im_start|>user\nWhat's the temperature in San Francisco now?<|im_end|>\n"
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_current_temperature\", \"arguments\": "
            "{\"location\": \"San Francisco, CA, USA\"}}\n</tool_call><|im_end|>\n"
            "<|im_start|>user\n<tool_response>\n{\"temperature\": 26.1, \"unit\": "
            "\"celsius\"}\n</tool_response>"
            "<|im_end|>\n<|im_start|>assistant\n";
        QCOMPARE(QByteArray::fromStdString(jinja::Template(source).render(globals)), expected);
    }

    // --- what templates refuse -----------------------------------------------------------------------------

    void templatesRaiseOnConversationsTheyCannotFormat_data() {
        QTest::addColumn<QByteArray>("family");
        QTest::addColumn<QByteArray>(
            "roles");  // one letter per message: s(ystem) u(ser) a(ssistant) x (narrator)
        QTest::addColumn<QByteArray>("message");
        QByteArray alternate = "Conversation roles must alternate user/assistant/user/assistant/...";
        QByteArray after_system =
            "After the optional system message, conversation roles must alternate "
            "user/assistant/user/assistant/...";
        QTest::newRow("llama2: two user turns") << QByteArray("llama2") << QByteArray("suu") << alternate;
        QTest::newRow("llama2: assistant first") << QByteArray("llama2") << QByteArray("au") << alternate;
        QTest::newRow("mistral original: system role")
            << QByteArray("mistral-v0.1-original") << QByteArray("sua") << alternate;
        QTest::newRow("mistral original: other role")
            << QByteArray("mistral-v0.1-original") << QByteArray("ux")
            << QByteArray("Only user and assistant roles are supported!");
        QTest::newRow("mistral v0.2: two user turns")
            << QByteArray("mistral-v0.2") << QByteArray("suauu") << after_system;
        QTest::newRow("mistral v0.3: two user turns")
            << QByteArray("mistral-v0.3") << QByteArray("suu") << after_system;
        QTest::newRow("mistral v0.3: other role")
            << QByteArray("mistral-v0.3") << QByteArray("ux")
            << QByteArray(
                   "Only user and assistant roles are supported, with the exception of an initial optional "
                   "system message!");
        QTest::newRow("gemma: system role")
            << QByteArray("gemma") << QByteArray("su") << QByteArray("System role not supported");
        QTest::newRow("gemma: two user turns") << QByteArray("gemma") << QByteArray("uu") << alternate;
    }
    void templatesRaiseOnConversationsTheyCannotFormat() {
        QFETCH(QByteArray, family);
        QFETCH(QByteArray, roles);
        QFETCH(QByteArray, message);
        std::vector<ChatMessage> messages;
        for (char role : roles) {
            const char* name = role == 's'   ? "system"
                               : role == 'u' ? "user"
                               : role == 'a' ? "assistant"
                                             : "narrator";
            messages.push_back({name, "text"});
        }
        QCOMPARE(render_error(family, messages), message);  // the template's own words, nothing added
    }

    void syntaxErrorsNameTheirPosition() {
        try {
            ChatTemplate broken("{% for message in messages %}\n{{ message.content | }}\n{% endfor %}");
            QFAIL("expected a syntax error");
        } catch (const Error& e) {
            QCOMPARE(
                QByteArray(e.what()),
                QByteArray("template line 2, column 22: expected a filter name after '|' but found '}}'"));
        }
    }

    void toolsAndDocumentsAreNoneAsInTransformers() {
        ChatTemplate probe(
            "{{ tools is none }} {{ tools is defined }} {{ documents is none }} {{ custom_tools is defined "
            "}} "
            "{{ date_string is defined }} {{ add_generation_prompt }} {{ bos_token }}{{ eos_token }} "
            "{{ messages | length }} {{ messages[0].role }}");
        QCOMPARE(probe.render(kConversation, tokens("<s>", "</s>", false)),
                 std::string("True True True False False False <s></s> 4 system"));
    }

    // --- reading templates from a model folder -------------------------------------------------------------

    void readsTheTemplateString() {
        QTemporaryDir dir;
        write_file(dir, "tokenizer_config.json",
                   "{\"bos_token\": \"<s>\", \"chat_template\": \"{% for m in messages %}[{{ m.role }}]\\n{% "
                   "endfor %}\"}");
        auto source = read_hf_chat_template(dir.path().toStdString());
        QVERIFY(source.has_value());
        QCOMPARE(*source, std::string("{% for m in messages %}[{{ m.role }}]\n{% endfor %}"));
        QCOMPARE(ChatTemplate(*source).render(without_system(), {}),
                 std::string("[user]\n[assistant]\n[user]\n"));
    }

    void readsTheDefaultOfNamedTemplates() {
        QTemporaryDir dir;
        write_file(dir, "tokenizer_config.json",
                   "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"tools\"},"
                   " {\"name\": \"default\", \"template\": \"plain\"}]}");
        QCOMPARE(read_hf_chat_template(dir.path().toStdString()).value_or("(none)"), std::string("plain"));
    }

    void prefersChatTemplateJinja() {
        QTemporaryDir dir;
        write_file(dir, "tokenizer_config.json", "{\"chat_template\": \"old\"}");
        write_file(dir, "chat_template.jinja", "new {{ x }}\n");
        QCOMPARE(read_hf_chat_template(dir.path().toStdString()).value_or("(none)"),
                 std::string("new {{ x }}\n"));
    }

    void reportsMissingTemplatesAsNothing() {
        QTemporaryDir empty;
        QVERIFY(!read_hf_chat_template(empty.path().toStdString()).has_value());
        QTemporaryDir without_template;
        write_file(without_template, "tokenizer_config.json",
                   "{\"bos_token\": \"<s>\", \"chat_template\": null}");
        QVERIFY(!read_hf_chat_template(without_template.path().toStdString()).has_value());
    }

    void rejectsMalformedConfigs_data() {
        QTest::addColumn<QByteArray>("config");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("not json") << QByteArray("{\"chat_template\": ") << QByteArray("is not valid JSON");
        QTest::newRow("not an object") << QByteArray("[1, 2]") << QByteArray("should hold a JSON object");
        QTest::newRow("wrong type")
            << QByteArray("{\"chat_template\": 3}")
            << QByteArray("\"chat_template\" should be a string or a list of named templates");
        QTest::newRow("bad entry") << QByteArray("{\"chat_template\": [{\"name\": \"default\"}]}")
                                   << QByteArray("each entry of \"chat_template\" should be");
        QTest::newRow("no default")
            << QByteArray(
                   "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"},"
                   " {\"name\": \"tool_use\", \"template\": \"y\"}]}")
            << QByteArray("has named chat templates (rag, tool_use) but none called \"default\"");
    }
    void rejectsMalformedConfigs() {
        QFETCH(QByteArray, config);
        QFETCH(QByteArray, message);
        QTemporaryDir dir;
        write_file(dir, "tokenizer_config.json", config.toStdString());
        try {
            read_hf_chat_template(dir.path().toStdString());
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QByteArray(e.what()).contains(message), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestChatTemplate)
#include "test_chat_template.moc"
