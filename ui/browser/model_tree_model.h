// The catalog as a tree for the browser's view:
//   Built in          > stories260K
//   Hugging Face cache > org/name > snapshots (the one refs/main points to marked "main")
//   Your folders      > the folder added > the models found in it (or the model itself, if one was added)
// Columns: name, architecture, parameters, type, size on disk, whether it can run here (and why not).
#pragma once

#include <QAbstractItemModel>
#include <QVector>
#include <memory>
#include <vector>

#include "catalog/model_entry.h"

namespace loom::ui {

class ModelTreeModel : public QAbstractItemModel {
    Q_OBJECT

  public:
    enum Column { Name, Architecture, Parameters, Type, Size, Status, ColumnCount };
    enum Role { PathRole = Qt::UserRole + 1, EntryRole };

    explicit ModelTreeModel(QObject* parent = nullptr);
    ~ModelTreeModel() override;

    void setEntries(const QVector<ModelEntry>& entries, const QString& hfCacheRoot);
    // The entry at `index` (a model row), or null for a group row.
    const ModelEntry* entry(const QModelIndex& index) const;
    QModelIndex indexOfPath(const QString& path) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  private:
    struct Node {
        QString label;
        QString tooltip;
        int entry = -1;  // index into entries_, -1 for a group
        Node* parent = nullptr;
        int row = 0;
        std::vector<std::unique_ptr<Node>> children;
        Node* add(const QString& label, int entry = -1);
    };
    Node* node(const QModelIndex& index) const;
    QVariant entryData(const ModelEntry& entry, int column, int role) const;

    QVector<ModelEntry> entries_;
    std::unique_ptr<Node> root_;
};

}  // namespace loom::ui
