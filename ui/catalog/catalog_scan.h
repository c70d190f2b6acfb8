// Finding the models on this machine: the Hugging Face cache, the folders and files the user added, and the
// built-in model. Reads only headers (loom::describe_model), never weights; still, it touches the disk and
// may parse large tokenizers, so ModelCatalog runs it on a pool thread, never on the GUI thread.
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>

#include "catalog/model_entry.h"

namespace loom::ui {

struct CatalogSources {
    QString hfCacheRoot;       // empty: skip the cache
    QStringList userPaths;     // folders to search, or model files / model folders themselves
    QString builtInModel;      // empty: none
    quint64 memoryBudget = 0;  // bytes the weights may take; 0: the machine's available memory
};

// Searching a user's folder stops at this depth and this many models, so that adding ~ does not hang.
constexpr int kUserFolderDepth = 4;
constexpr int kUserFolderMaxModels = 500;

QVector<ModelEntry> scan_catalog(const CatalogSources& sources);

// The entries of one source, for the tests and for a dropped file.
QVector<ModelEntry> scan_hf_cache(const QString& root, quint64 memoryBudget = 0);
QVector<ModelEntry> scan_user_path(const QString& path, quint64 memoryBudget = 0);
ModelEntry describe_entry(const QString& path, ModelSource source, quint64 memoryBudget = 0);

}  // namespace loom::ui
