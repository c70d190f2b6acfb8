// The models on this machine, for the browser: scanned on a pool thread (the GUI never waits on the disk),
// delivered as a list of entries on the GUI thread. The paths the user added (folders, model files, model
// folders dropped on the window) are remembered across runs in QSettings.
#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QStringList>
#include <QVector>

#include "catalog/catalog_scan.h"

namespace loom::ui {

class ModelCatalog : public QObject {
    Q_OBJECT

  public:
    // `hfCacheRoot` and `builtInModel` as the engine resolves them (loom::hf_cache_root(),
    // loom::builtin_model_path()); empty to leave that source out.
    ModelCatalog(const QString& hfCacheRoot, const QString& builtInModel, QObject* parent = nullptr);
    ~ModelCatalog() override;

    const QString& hfCacheRoot() const { return sources_.hfCacheRoot; }
    QStringList userPaths() const { return sources_.userPaths; }
    // Adds (and remembers) a folder to search or a model file/folder; rescans. Returns false if already
    // there.
    bool addUserPath(const QString& path);
    void removeUserPath(const QString& path);

    // Rescans in the background; scanned() follows. A refresh asked for during a scan runs after it.
    void refresh();
    bool isScanning() const { return watcher_.isRunning(); }
    const QVector<ModelEntry>& entries() const { return entries_; }

  signals:
    void scanStarted();
    void scanned(const QVector<loom::ui::ModelEntry>& entries);

  private:
    void onScanFinished();
    void saveUserPaths();

    CatalogSources sources_;
    QVector<ModelEntry> entries_;
    QFutureWatcher<QVector<ModelEntry>> watcher_;
    bool refresh_pending_ = false;
};

}  // namespace loom::ui
