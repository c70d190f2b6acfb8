// One model the browser lists, as read from its headers (loom::describe_model) without loading it.
#pragma once

#include <QMetaType>
#include <QString>
#include <QVector>

namespace loom::ui {

enum class ModelSource { BuiltIn, HuggingFaceCache, UserFolder };

struct ModelEntry {
    ModelSource source = ModelSource::UserFolder;
    QString path;  // what to load
    QString name;  // what to show: "stories260K", a snapshot's commit, a file or folder name
    QString
        group;  // the Hugging Face repo ("org/name") or the user's folder it was found in; empty otherwise
    bool isMainRevision = false;  // a cache snapshot that refs/main points to

    QString format;  // "safetensors", "GGUF"
    QString architecture;
    qint64 parameters = 0;
    QString dtypes;  // "BF16", "F32, Q4_K"...
    quint64 bytesOnDisk = 0;
    QString tokenizer;
    bool hasChatTemplate = false;

    bool runnable = false;
    QString problem;  // why it cannot run here, in plain words
};

// "260K", "494M", "7.6B" parameters; "1.2 GB" on disk.
QString parameters_text(qint64 parameters);
QString bytes_text(quint64 bytes);
// How the GUI names a model: "org/name" for a Hugging Face cache snapshot, else the file or folder name.
QString model_display_name(const QString& path);

}  // namespace loom::ui

Q_DECLARE_METATYPE(loom::ui::ModelEntry)
