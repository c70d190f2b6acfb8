// The values that cross between the GUI thread and the engine worker's thread, in queued signals both ways.
// They hold only Qt value types (copied, implicitly shared), never pointers into the engine.
#pragma once

#include <QMetaType>
#include <QString>
#include <QVector>

#include "chat/message.h"

namespace loom::ui {

struct ModelLoadRequest {
    QString model;  // a model folder, a .gguf file, a Hugging Face snapshot, or "org/name" in the HF cache
    // "auto" (a GPU if there is one), "cpu", "vulkan" (the best GPU) or "vulkan:N" (Vulkan device N)
    QString backend = QStringLiteral("auto");
    int threads = 0;     // CPU threads; 0: Loom chooses
    QString weightType;  // convert the weights on load ("Q8_0", "Q4_0", "Q4_K_M", "F16"); empty: as stored
};

// What the GUI needs to know about the model the worker has loaded.
struct LoadedModel {
    QString path;  // where it was loaded from (resolved)
    QString name;  // for display: "org/name" for a cache snapshot, else the folder or file name
    QString architecture;
    qint64 parameters = 0;
    QString weightTypes;
    QString tokenizer;
    int layers = 0;
    int heads = 0;
    qint64 hiddenSize = 0;
    qint64 contextLength = 0;  // of a conversation's session
    bool hasChatTemplate = false;
    double loadSeconds = 0;
    QString backend;  // where it runs, e.g. "CPU (AVX-512, 2 threads)" or the GPU's name
    QString note;     // why it runs on the CPU although a GPU was asked for; empty otherwise
    QString licence;  // as the model's metadata states it (GGUF); empty when it says nothing
};

struct SamplingSettings {
    double temperature = 0.8;  // 0: greedy
    int topK = 40;             // 0: off
    double topP = 0.95;        // 1: off
    double minP = 0.05;        // 0: off
    double repeatPenalty = 1.1;
    int maxTokens = 512;
    qint64 seed = -1;  // -1: a new random seed for every reply (reported in its stats)
};

// Write the next assistant reply of a conversation. `messages` is the conversation so far (user and assistant
// turns, ending with the user's); the worker renders it with the model's chat template when it has one and
// reuses the conversation's KV cache for the unchanged beginning.
struct GenerationRequest {
    quint64 requestId = 0;
    qint64 conversationId = 0;
    QString systemPrompt;
    QVector<Message> messages;
    SamplingSettings sampling;
};

struct StreamedToken {
    quint64 requestId = 0;
    qint64 conversationId = 0;
    qint64 position = 0;
    ReplyToken token;
};

struct ReplyFinished {
    quint64 requestId = 0;
    qint64 conversationId = 0;
    bool ok = false;
    QString error;  // when !ok: the engine's message, for the user
    Message reply;  // when ok: role "assistant", its content, tokens, first position, model and stats
};

// Re-evaluate a conversation with capture on, so that the visualizer can show it: used when the visualizer is
// opened on a conversation that was written with it closed (or before a restart).
struct CaptureRequest {
    qint64 conversationId = 0;
    QString systemPrompt;
    QVector<Message> messages;  // the whole conversation, replies included
};

}  // namespace loom::ui

Q_DECLARE_METATYPE(loom::ui::ModelLoadRequest)
Q_DECLARE_METATYPE(loom::ui::LoadedModel)
Q_DECLARE_METATYPE(loom::ui::SamplingSettings)
Q_DECLARE_METATYPE(loom::ui::GenerationRequest)
Q_DECLARE_METATYPE(loom::ui::StreamedToken)
Q_DECLARE_METATYPE(loom::ui::ReplyFinished)
Q_DECLARE_METATYPE(loom::ui::CaptureRequest)
