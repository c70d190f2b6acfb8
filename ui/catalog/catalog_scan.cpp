#include "catalog/catalog_scan.h"

#include <QDir>
#include <QFileInfo>
#include <exception>
#include <utility>
#include <vector>

#include "api/model_info.h"
#include "formats/hf_cache.h"

namespace loom::ui {

namespace {

bool is_gguf(const QFileInfo& info) {
    return info.isFile() && info.suffix().compare(QLatin1String("gguf"), Qt::CaseInsensitive) == 0;
}

bool is_model_folder(const QFileInfo& info) {
    return info.isDir() && QFileInfo::exists(info.absoluteFilePath() + QStringLiteral("/config.json"));
}

}  // namespace

QString parameters_text(qint64 parameters) {
    if (parameters <= 0) return QStringLiteral("–");
    const char* units[] = {"", "K", "M", "B", "T"};
    double value = static_cast<double>(parameters);
    int unit = 0;
    while (value >= 1000 && unit < 4) {
        value /= 1000;
        ++unit;
    }
    return QString::number(value, 'f', value < 10 && unit > 0 ? 1 : 0) + QLatin1String(units[unit]);
}

QString bytes_text(quint64 bytes) {
    const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1000 && unit < 4) {
        value /= 1000;
        ++unit;
    }
    return QString::number(value, 'f', unit == 0 ? 0 : 1) + QLatin1Char(' ') + QLatin1String(units[unit]);
}

QString model_display_name(const QString& path) {
    // <cache>/models--org--name/snapshots/<commit>
    QFileInfo info(path);
    QDir snapshots = info.dir();
    if (snapshots.dirName() == QLatin1String("snapshots")) {
        QString repo = QFileInfo(snapshots.absolutePath()).dir().dirName();
        if (repo.startsWith(QLatin1String("models--"))) {
            QString id = repo.mid(8);
            int separator = id.indexOf(QLatin1String("--"));
            if (separator > 0) id = id.left(separator) + QLatin1Char('/') + id.mid(separator + 2);
            return id;
        }
    }
    return info.fileName().isEmpty() ? path : info.fileName();
}

ModelEntry describe_entry(const QString& path, ModelSource source, quint64 memoryBudget) {
    ModelEntry entry;
    entry.source = source;
    entry.path = path;
    entry.name = QFileInfo(path).fileName();
    try {
        loom::DescribeOptions options;
        options.memory_budget = memoryBudget;
        loom::ModelDescription d = loom::describe_model(path.toStdString(), options);
        entry.format = QString::fromStdString(d.format);
        entry.architecture = QString::fromStdString(d.architecture);
        entry.parameters = d.parameters;
        entry.dtypes = QString::fromStdString(d.dtypes);
        entry.bytesOnDisk = d.bytes_on_disk;
        entry.tokenizer = QString::fromStdString(d.tokenizer);
        entry.hasChatTemplate = d.has_chat_template;
        entry.runnable = d.runnable;
        entry.problem = QString::fromStdString(d.problem);
    } catch (const std::exception& e) {
        // describe_model reports problems in the description; what escapes it is a file that vanished or
        // could not be read at all.
        entry.runnable = false;
        entry.problem = QString::fromStdString(e.what());
    }
    if (!entry.runnable && entry.problem.isEmpty())
        entry.problem = QObject::tr("it cannot be run (no reason given)");
    return entry;
}

QVector<ModelEntry> scan_hf_cache(const QString& root, quint64 memoryBudget) {
    QVector<ModelEntry> entries;
    for (const loom::HfCacheRepo& repo : loom::list_hf_cache(root.toStdString())) {
        const QString id = QString::fromStdString(repo.id);
        if (repo.snapshots.empty()) {
            ModelEntry entry;
            entry.source = ModelSource::HuggingFaceCache;
            entry.path = QString::fromStdString(repo.folder.string());
            entry.name = id;
            entry.group = id;
            entry.problem = QObject::tr("the cache holds no snapshot of it (the download did not finish)");
            entries.push_back(entry);
            continue;
        }
        for (const std::filesystem::path& snapshot : repo.snapshots) {
            const QString folder = QString::fromStdString(snapshot.string());
            const std::string commit = snapshot.filename().string();
            const bool main = repo.main && *repo.main == commit;
            const QString revision = QString::fromStdString(commit.substr(0, 12));
            // A model folder is one model; a GGUF repository (no config.json) holds one file per
            // quantization, each a model of its own.
            std::vector<std::pair<QString, QString>> models;  // path, name
            if (is_model_folder(QFileInfo(folder))) {
                models.emplace_back(folder, revision);
            } else {
                for (const QFileInfo& file : QDir(folder).entryInfoList(
                         {QStringLiteral("*.gguf")}, QDir::Files | QDir::System, QDir::Name))
                    models.emplace_back(
                        file.absoluteFilePath(),
                        main ? file.fileName() : file.fileName() + QStringLiteral(" @") + revision);
                if (models.empty())
                    models.emplace_back(folder, revision);  // describe_entry says what is wrong
            }
            for (const auto& [path, name] : models) {
                ModelEntry entry = describe_entry(path, ModelSource::HuggingFaceCache, memoryBudget);
                entry.group = id;
                entry.isMainRevision = main;
                entry.name = main ? name + QObject::tr(" (main)") : name;
                entries.push_back(entry);
            }
        }
    }
    return entries;
}

QVector<ModelEntry> scan_user_path(const QString& path, quint64 memoryBudget) {
    QVector<ModelEntry> entries;
    QFileInfo top(path);
    if (!top.exists()) {
        ModelEntry missing;
        missing.path = path;
        missing.name = top.fileName();
        missing.group = path;
        missing.problem = QObject::tr("%1 no longer exists").arg(path);
        return {missing};
    }
    if (is_gguf(top) || is_model_folder(top)) {
        entries.push_back(describe_entry(top.absoluteFilePath(), ModelSource::UserFolder, memoryBudget));
        return entries;
    }
    if (top.isFile()) {
        ModelEntry other;
        other.path = top.absoluteFilePath();
        other.name = top.fileName();
        other.problem =
            QObject::tr("not a model: Loom reads .gguf files and model folders (with config.json)");
        return {other};
    }
    // Breadth-first, not following links (they may loop), skipping hidden folders, not descending into a
    // model folder (its files belong to it).
    struct Pending {
        QString folder;
        int depth;
    };
    QVector<Pending> queue{{top.absoluteFilePath(), 0}};
    for (qsizetype next = 0; next < queue.size() && entries.size() < kUserFolderMaxModels; ++next) {
        const Pending current = queue[next];
        const QFileInfoList children =
            QDir(current.folder)
                .entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Readable,
                               QDir::Name | QDir::DirsFirst);
        for (const QFileInfo& child : children) {
            if (entries.size() >= kUserFolderMaxModels) break;
            if (is_gguf(child) || is_model_folder(child)) {
                ModelEntry entry =
                    describe_entry(child.absoluteFilePath(), ModelSource::UserFolder, memoryBudget);
                entry.group = top.absoluteFilePath();
                entries.push_back(entry);
            } else if (child.isDir() && !child.isSymLink() && current.depth + 1 < kUserFolderDepth) {
                queue.push_back({child.absoluteFilePath(), current.depth + 1});
            }
        }
    }
    return entries;
}

QVector<ModelEntry> scan_catalog(const CatalogSources& sources) {
    QVector<ModelEntry> entries;
    if (!sources.builtInModel.isEmpty()) {
        ModelEntry builtin = describe_entry(sources.builtInModel, ModelSource::BuiltIn, sources.memoryBudget);
        builtin.name = QObject::tr("stories260K (built in)");
        entries.push_back(builtin);
    }
    if (!sources.hfCacheRoot.isEmpty()) entries += scan_hf_cache(sources.hfCacheRoot, sources.memoryBudget);
    for (const QString& path : sources.userPaths)
        entries += scan_user_path(path, sources.memoryBudget);
    return entries;
}

}  // namespace loom::ui
