#include "worker/engine_worker.h"

#include <QElapsedTimer>
#include <algorithm>
#include <filesystem>
#include <new>
#include <random>

#include "api/builtin_model.h"
#include "api/capture_recorder.h"
#include "api/chat_prompt.h"
#include "api/generate.h"
#include "catalog/model_entry.h"
#include "formats/hf_cache.h"
#include "gpu/backend_choice.h"
#include "model/model.h"
#include "model/session.h"
#include "util/error.h"
#include "visualizer/capture_views.h"
#include "worker/conversation_prompt.h"

namespace loom::ui {

// What the worker keeps for one conversation.
struct EngineWorker::Conversation {
    std::unique_ptr<loom::Session> session;
    // Exists once capture was on for this conversation. Positions [0, captured) of the session are in it;
    // [0, sent) have been sent to the GUI.
    std::unique_ptr<loom::CaptureRecorder> recorder;
    int64_t captured = 0;
    int64_t sent = 0;
    uint64_t last_use = 0;
};

namespace {

// The visualizer keeps hidden states of every position and attention rows of recent ones within this budget
// per conversation (the recorder drops the oldest attention first).
constexpr size_t kCaptureBudgetBytes = size_t{256} << 20;

// The longest prefix of `tokens` the session already holds. A reply always re-evaluates at least the last
// prompt token (its logits give the first reply token), as loom::generate does.
int64_t reusable_prefix(const std::vector<int32_t>& held, const std::vector<int32_t>& tokens,
                        bool for_generation) {
    size_t limit = for_generation ? tokens.size() - 1 : tokens.size();
    size_t common = 0;
    while (common < held.size() && common < limit && held[common] == tokens[common])
        ++common;
    return static_cast<int64_t>(common);
}

loom::SamplingOptions sampling_options(const SamplingSettings& s) {
    loom::SamplingOptions options;
    options.temperature = static_cast<float>(s.temperature);
    options.top_k = s.topK;
    options.top_p = static_cast<float>(s.topP);
    options.min_p = static_cast<float>(s.minP);
    options.repeat_penalty = static_cast<float>(s.repeatPenalty);
    options.seed = s.seed >= 0 ? static_cast<uint64_t>(s.seed) : std::random_device{}();
    return options;
}

QVector<int> token_ids(const std::vector<int32_t>& tokens) {
    return QVector<int>(tokens.begin(), tokens.end());
}

// The CPU backend's thread pool synchronises its threads on every kernel call. For a tiny model that costs
// more than the work itself, and far more on a busy machine: the built-in model's 5-token prompt took 0.3 ms
// on one thread and up to 200 ms on two while other programs kept both cores busy. Models whose weights are
// smaller than this run on one thread unless the user asked for a number.
constexpr uint64_t kOneThreadBelowBytes = uint64_t{64} << 20;

int threads_for(const std::string& model, int requested) {
    if (requested > 0) return requested;
    namespace fs = std::filesystem;
    std::error_code ec;
    uint64_t bytes = 0;
    try {
        const fs::path location = loom::resolve_model_location(model);
        if (fs::is_directory(location, ec)) {
            for (const auto& entry : fs::directory_iterator(location, ec)) {
                const auto extension = entry.path().extension();
                if (extension == ".safetensors" || extension == ".gguf")
                    bytes += fs::file_size(entry.path(), ec);
            }
        } else {
            bytes = fs::file_size(location, ec);
        }
    } catch (const loom::Error&) {
        return requested;  // Model::load will say what is wrong with it
    }
    return bytes > 0 && bytes < kOneThreadBelowBytes ? 1 : requested;
}

}  // namespace

void register_worker_types() {
    qRegisterMetaType<ModelLoadRequest>();
    qRegisterMetaType<LoadedModel>();
    qRegisterMetaType<GenerationRequest>();
    qRegisterMetaType<StreamedToken>();
    qRegisterMetaType<ReplyFinished>();
    qRegisterMetaType<CaptureRequest>();
    qRegisterMetaType<Message>();
    qRegisterMetaType<VisualizerModelInfo>();
    qRegisterMetaType<PositionCapture>();
    qRegisterMetaType<QVector<PositionCapture>>();
    qRegisterMetaType<AttentionView>();
    qRegisterMetaType<LogitLensView>();
}

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {}

EngineWorker::~EngineWorker() = default;

void EngineWorker::stopRepliesUpTo(quint64 requestId) {
    quint64 current = stop_replies_up_to_.load();
    while (current < requestId && !stop_replies_up_to_.compare_exchange_weak(current, requestId)) {
    }
}

void EngineWorker::cancelLoadsUpTo(quint64 requestId) {
    quint64 current = cancel_loads_up_to_.load();
    while (current < requestId && !cancel_loads_up_to_.compare_exchange_weak(current, requestId)) {
    }
}

void EngineWorker::setCaptureEnabled(bool enabled) {
    capture_enabled_.store(enabled);
}

void EngineWorker::requestAttention(const AttentionRequest& request) {
    view_requests_.request(request);
    QMetaObject::invokeMethod(this, &EngineWorker::serveViewRequests, Qt::QueuedConnection);
}

void EngineWorker::requestLogitLens(const LogitLensRequest& request) {
    view_requests_.request(request);
    QMetaObject::invokeMethod(this, &EngineWorker::serveViewRequests, Qt::QueuedConnection);
}

bool EngineWorker::stopped(quint64 requestId) const {
    return stop_replies_up_to_.load() >= requestId;
}

// ---- loading ----

void EngineWorker::loadModel(quint64 requestId, const ModelLoadRequest& request) {
    auto cancelled = [&] { return cancel_loads_up_to_.load() >= requestId; };
    if (cancelled()) {
        emit modelLoadFailed(requestId, tr("Loading was cancelled."), true);
        return;
    }
    QElapsedTimer timer;
    timer.start();
    try {
        loom::LoadOptions options;
        options.model =
            request.model.isEmpty() ? loom::builtin_model_path().string() : request.model.toStdString();
        options.weight_type = request.weightType.toStdString();
        loom::BackendRequest backend;
        QString kind = request.backend.section(QLatin1Char(':'), 0, 0);
        backend.kind = loom::parse_backend_kind(kind.toStdString());
        if (request.backend.contains(QLatin1Char(':')))
            backend.vulkan.device_index = request.backend.section(QLatin1Char(':'), 1).toInt();
        backend.threads = threads_for(options.model, request.threads);
        int last_percent = -1;
        options.progress = [&](double fraction) {
            int percent = static_cast<int>(fraction * 100);
            if (percent != last_percent) {
                last_percent = percent;
                emit loadProgress(requestId, fraction);
            }
            return !cancelled();
        };
        loom::LoadedModel loaded = loom::load_model(options, backend);  // falls back to the CPU, saying why
        std::shared_ptr<loom::Model> model = std::move(loaded.model);

        // Only now does the new model replace the old one: a failed load leaves everything as it was.
        model_ = std::move(model);
        conversations_.clear();

        load_on_cpu_ = std::move(loaded.load_on_cpu);
        emit modelLoaded(requestId,
                         describeModel(timer.nsecsElapsed() / 1e9, QString::fromStdString(loaded.note)));
    } catch (const loom::Cancelled&) {
        emit modelLoadFailed(requestId, tr("Loading was cancelled."), true);
    } catch (const loom::Error& e) {
        emit modelLoadFailed(requestId, QString::fromStdString(e.what()), false);
    } catch (const std::bad_alloc&) {
        emit modelLoadFailed(requestId, tr("There is not enough memory to load this model."), false);
    } catch (const std::exception& e) {
        emit modelLoadFailed(
            requestId, tr("The model could not be loaded: %1").arg(QString::fromStdString(e.what())), false);
    }
}

LoadedModel EngineWorker::describeModel(double loadSeconds, const QString& note) const {
    const loom::ModelConfig& config = model_->config();
    LoadedModel info;
    info.path = QString::fromStdString(model_->path().string());
    info.name = model_display_name(info.path);
    info.architecture = QString::fromStdString(config.architecture);
    info.parameters = model_->parameter_count();
    info.weightTypes = QString::fromStdString(model_->weight_types());
    info.tokenizer = QString::fromStdString(model_->tokenizer().kind());
    info.layers = config.layers;
    info.heads = config.heads;
    info.hiddenSize = config.hidden_size;
    info.contextLength = loom::Session::context_tokens(config, {});
    info.hasChatTemplate = model_->chat_template().has_value();
    info.loadSeconds = loadSeconds;
    info.backend = QString::fromStdString(model_->backend().name());
    info.note = note;
    if (model_->licence()) info.licence = QString::fromStdString(*model_->licence());
    return info;
}

// A session's GPU failed while it ran: the model goes to the CPU (once; sessions that fail later find it
// there), and the session that asked goes on with it.
std::shared_ptr<const loom::Model> EngineWorker::continueOnCpu(const loom::DeviceFailure& failure) {
    if (load_on_cpu_) {
        QElapsedTimer timer;
        timer.start();
        model_ = load_on_cpu_();
        load_on_cpu_ = nullptr;
        emit modelMoved(describeModel(timer.nsecsElapsed() / 1e9,
                                      tr("The GPU failed (%1); the model now runs on the CPU.")
                                          .arg(QString::fromStdString(failure.what()))));
    }
    return model_;
}

// ---- conversations ----

EngineWorker::Conversation* EngineWorker::findConversation(qint64 id) {
    auto it = conversations_.find(id);
    return it == conversations_.end() ? nullptr : it->second.get();
}

EngineWorker::Conversation& EngineWorker::conversation(qint64 id) {
    Conversation* state = findConversation(id);
    if (!state) {
        // Keep the KV caches of the most recently used conversations only.
        while (conversations_.size() >= kMaxSessions) {
            auto oldest = std::min_element(
                conversations_.begin(), conversations_.end(),
                [](const auto& a, const auto& b) { return a.second->last_use < b.second->last_use; });
            conversations_.erase(oldest);
        }
        auto created = std::make_unique<Conversation>();
        loom::SessionOptions options;
        options.on_device_failure = [this](const loom::DeviceFailure& failure) {
            return continueOnCpu(failure);
        };
        created->session = std::make_unique<loom::Session>(model_, options);
        state = created.get();
        conversations_.emplace(id, std::move(created));
    }
    state->last_use = ++use_counter_;
    return *state;
}

void EngineWorker::forgetConversation(qint64 conversationId) {
    conversations_.erase(conversationId);
}

// Lines up the session, the recorder and the GUI before `tokens` are evaluated: keeps the part of the session
// that is still valid (and, with capture on, recorded), truncates the rest, and tells the visualizer.
void EngineWorker::prepareCapture(qint64 conversationId, Conversation& state,
                                  const std::vector<int32_t>& tokens, bool for_generation, bool capture) {
    int64_t keep = reusable_prefix(state.session->tokens(), tokens, for_generation);
    if (capture) {
        if (!state.recorder) {
            loom::CaptureRecorderOptions options;
            options.memory_budget = kCaptureBudgetBytes;
            state.recorder = std::make_unique<loom::CaptureRecorder>(model_->config(), options);
            state.captured = 0;
        }
        // Positions evaluated while capture was off are evaluated again, this time recorded.
        keep = std::min(keep, state.captured);
    }
    state.session->truncate(keep);
    if (state.recorder) {
        state.captured = std::min(state.captured, keep);
        state.recorder->truncate(state.captured);
    }
    state.sent = std::min(state.sent, keep);
    emit capturesTruncated(conversationId, state.sent);
}

void EngineWorker::sendNewCaptures(qint64 conversationId, Conversation& state) {
    if (!state.recorder) return;
    const std::vector<int32_t>& tokens = state.session->tokens();
    state.captured = static_cast<int64_t>(tokens.size());
    if (state.sent >= state.captured) return;
    emit capturesReady(conversationId,
                       make_position_captures(*state.recorder, model_->tokenizer(), state.sent,
                                              state.captured - state.sent, token_ids(tokens)));
    state.sent = state.captured;
}

// ---- replies ----

void EngineWorker::generate(const GenerationRequest& request) {
    ReplyFinished result;
    result.requestId = request.requestId;
    result.conversationId = request.conversationId;
    if (!model_) {
        result.error = tr("No model is loaded: choose one in the model browser.");
        emit replyFinished(result);
        return;
    }
    Message& reply = result.reply;
    reply.role = QStringLiteral("assistant");
    reply.model = QString::fromStdString(model_->path().string());
    reply.created = QDateTime::currentDateTimeUtc();
    if (stopped(request.requestId)) {  // Stop was pressed before the worker got to it
        result.ok = true;
        reply.stats.stopReason = QString::fromLatin1(loom::stop_reason_name(loom::StopReason::Cancelled));
        emit replyFinished(result);
        return;
    }
    const qint64 id = request.conversationId;
    try {
        Conversation& state = conversation(id);
        loom::ChatPrompt prompt =
            loom::build_chat_prompt(*model_, chat_messages(request.systemPrompt, request.messages));
        loom::GenerateOptions options;
        options.sampling = sampling_options(request.sampling);
        options.max_tokens = request.sampling.maxTokens;
        const bool capture = capture_enabled_.load();  // read once: the GUI may switch it meanwhile
        prepareCapture(id, state, prompt.tokens, true, capture);
        if (capture) {
            options.capture = state.recorder->plan();
            options.capture_sink = state.recorder->sink();
        }
        reply.firstPosition = static_cast<qint64>(prompt.tokens.size());

        loom::GenerationStats stats = loom::generate(
            *state.session, prompt.tokens, options, [&](const loom::GeneratedToken& generated) {
                StreamedToken streamed;
                streamed.requestId = request.requestId;
                streamed.conversationId = id;
                streamed.position = generated.position;
                streamed.token = {generated.id, QString::fromStdString(generated.text)};
                reply.tokens.push_back(streamed.token);
                reply.content += streamed.token.text;
                // The visualizer gets the positions (the prompt's too, at the first token) before the chat
                // shows the token, so that clicking it finds them.
                if (capture) sendNewCaptures(id, state);
                emit tokenGenerated(streamed);
                serveViewRequests();
                return !stopped(request.requestId);
            });
        if (capture) sendNewCaptures(id, state);

        reply.content += QString::fromStdString(stats.trailing_text);
        ReplyStats& s = reply.stats;
        s.promptTokens = stats.prompt_tokens;
        s.reusedPromptTokens = stats.reused_prompt_tokens;
        s.promptSeconds = stats.prompt_seconds;
        s.generatedTokens = stats.generated_tokens;
        s.generateSeconds = stats.generate_seconds;
        s.stopReason = QString::fromLatin1(loom::stop_reason_name(stats.reason));
        s.seed = options.sampling.seed;
        result.ok = true;
    } catch (const std::exception& e) {
        // The conversation's KV cache may be half-updated: start it afresh next time.
        conversations_.erase(id);
        emit capturesTruncated(id, 0);
        result.ok = false;
        result.error = dynamic_cast<const std::bad_alloc*>(&e)
                           ? tr("There is not enough memory to continue this conversation.")
                           : QString::fromStdString(e.what());
    }
    emit replyFinished(result);
}

void EngineWorker::captureConversation(const CaptureRequest& request) {
    if (!model_ || !capture_enabled_.load()) return;
    const qint64 id = request.conversationId;
    if (request.messages.isEmpty()) {
        if (Conversation* state = findConversation(id)) state->sent = 0;
        emit capturesTruncated(id, 0);
        return;
    }
    try {
        std::vector<int32_t> tokens = conversation_tokens(*model_, request.systemPrompt, request.messages);
        Conversation& state = conversation(id);
        // A reply that filled the context ends with a token that was never evaluated; a conversation written
        // with a model of a longer context may not fit at all. Show what fits.
        const auto context = static_cast<size_t>(state.session->context_length());
        if (tokens.size() > context) {
            if (tokens.size() > context + 1)
                emit problem(
                    tr("The visualizer shows the first %1 tokens: the conversation (%2 tokens) is longer "
                       "than this model's context.")
                        .arg(context)
                        .arg(tokens.size()));
            tokens.resize(context);
        }
        state.sent = 0;  // the visualizer starts from an empty page
        prepareCapture(id, state, tokens, false, true);
        size_t held = state.session->tokens().size();
        if (held < tokens.size()) {
            loom::CapturePlan plan = state.recorder->plan();
            state.session->evaluate(std::span<const int32_t>(tokens).subspan(held), &plan,
                                    state.recorder->sink());
        }
        sendNewCaptures(id, state);
    } catch (const std::exception& e) {
        conversations_.erase(id);
        emit capturesTruncated(id, 0);
        emit problem(tr("The visualizer could not evaluate this conversation: %1")
                         .arg(QString::fromStdString(e.what())));
    }
    serveViewRequests();
}

// ---- visualizer views ----

void EngineWorker::serveViewRequests() {
    auto recorder_for = [&](qint64 conversationId, qint64 position) -> const loom::CaptureRecorder* {
        Conversation* state = findConversation(conversationId);
        if (!model_ || !state || !state->recorder || position < 0 || position >= state->captured)
            return nullptr;
        return state->recorder.get();
    };
    try {
        if (std::optional<AttentionRequest> r = view_requests_.takeAttention()) {
            if (const loom::CaptureRecorder* recorder = recorder_for(r->conversationId, r->position))
                emit attentionReady(r->conversationId,
                                    make_attention_view(*recorder, r->position, r->layer, r->head));
        }
        if (std::optional<LogitLensRequest> r = view_requests_.takeLogitLens()) {
            if (const loom::CaptureRecorder* recorder = recorder_for(r->conversationId, r->position))
                emit logitLensReady(
                    r->conversationId,
                    make_logit_lens_view(*model_, *recorder, model_->tokenizer(), r->position));
        }
    } catch (const std::exception& e) {
        emit problem(
            tr("The visualizer's view could not be computed: %1").arg(QString::fromStdString(e.what())));
    }
}

}  // namespace loom::ui
