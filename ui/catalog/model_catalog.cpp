#include "catalog/model_catalog.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>

namespace loom::ui {

namespace {
const char* kUserPathsKey = "catalog/userPaths";
}

ModelCatalog::ModelCatalog(const QString& hfCacheRoot, const QString& builtInModel, QObject* parent)
    : QObject(parent) {
    qRegisterMetaType<ModelEntry>();
    qRegisterMetaType<QVector<ModelEntry>>();
    sources_.hfCacheRoot = hfCacheRoot;
    sources_.builtInModel = builtInModel;
    sources_.userPaths = QSettings().value(QLatin1String(kUserPathsKey)).toStringList();
    connect(&watcher_, &QFutureWatcher<QVector<ModelEntry>>::finished, this, &ModelCatalog::onScanFinished);
}

ModelCatalog::~ModelCatalog() {
    watcher_.waitForFinished();
}

bool ModelCatalog::addUserPath(const QString& path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    if (sources_.userPaths.contains(absolute)) return false;
    sources_.userPaths.push_back(absolute);
    saveUserPaths();
    refresh();
    return true;
}

void ModelCatalog::removeUserPath(const QString& path) {
    if (sources_.userPaths.removeAll(path) == 0) return;
    saveUserPaths();
    refresh();
}

void ModelCatalog::saveUserPaths() {
    QSettings().setValue(QLatin1String(kUserPathsKey), sources_.userPaths);
}

void ModelCatalog::refresh() {
    if (watcher_.isRunning()) {
        refresh_pending_ = true;
        return;
    }
    emit scanStarted();
    watcher_.setFuture(QtConcurrent::run(scan_catalog, sources_));
}

void ModelCatalog::onScanFinished() {
    entries_ = watcher_.result();
    emit scanned(entries_);
    if (refresh_pending_) {
        refresh_pending_ = false;
        refresh();
    }
}

}  // namespace loom::ui
