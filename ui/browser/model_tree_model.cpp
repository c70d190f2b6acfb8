#include "browser/model_tree_model.h"

#include <QApplication>
#include <QFileInfo>
#include <QPalette>
#include <QStyle>
#include <map>

namespace loom::ui {

ModelTreeModel::Node* ModelTreeModel::Node::add(const QString& child_label, int child_entry) {
    auto child = std::make_unique<Node>();
    child->label = child_label;
    child->entry = child_entry;
    child->parent = this;
    child->row = static_cast<int>(children.size());
    children.push_back(std::move(child));
    return children.back().get();
}

ModelTreeModel::ModelTreeModel(QObject* parent)
    : QAbstractItemModel(parent), root_(std::make_unique<Node>()) {}

ModelTreeModel::~ModelTreeModel() = default;

void ModelTreeModel::setEntries(const QVector<ModelEntry>& entries, const QString& hfCacheRoot) {
    beginResetModel();
    entries_ = entries;
    root_ = std::make_unique<Node>();
    Node* builtin = nullptr;
    Node* cache = nullptr;
    Node* user = nullptr;
    std::map<QString, Node*> groups;  // repo id or user folder -> its node
    for (int i = 0; i < entries_.size(); ++i) {
        const ModelEntry& e = entries_[i];
        switch (e.source) {
            case ModelSource::BuiltIn:
                if (!builtin) builtin = root_->add(tr("Built in"));
                builtin->add(e.name, i);
                break;
            case ModelSource::HuggingFaceCache: {
                if (!cache) {
                    cache = root_->add(tr("Hugging Face cache"));
                    cache->tooltip = hfCacheRoot;
                }
                Node*& repo = groups[QStringLiteral("hf:") + e.group];
                if (!repo) repo = cache->add(e.group);
                repo->add(e.name, i);
                break;
            }
            case ModelSource::UserFolder: {
                if (!user) user = root_->add(tr("Your folders"));
                if (e.group.isEmpty()) {  // a model the user added itself
                    user->add(e.name, i)->tooltip = e.path;
                    break;
                }
                Node*& folder = groups[QStringLiteral("user:") + e.group];
                if (!folder) {
                    folder = user->add(QFileInfo(e.group).fileName());
                    folder->tooltip = e.group;
                }
                folder->add(QFileInfo(e.path).fileName(), i)->tooltip = e.path;
                break;
            }
        }
    }
    if (!cache) root_->add(tr("Hugging Face cache (empty)"))->tooltip = hfCacheRoot;
    endResetModel();
}

ModelTreeModel::Node* ModelTreeModel::node(const QModelIndex& index) const {
    return index.isValid() ? static_cast<Node*>(index.internalPointer()) : root_.get();
}

const ModelEntry* ModelTreeModel::entry(const QModelIndex& index) const {
    const Node* n = node(index);
    return n && n->entry >= 0 ? &entries_[n->entry] : nullptr;
}

QModelIndex ModelTreeModel::indexOfPath(const QString& path) const {
    std::vector<const Node*> stack{root_.get()};
    while (!stack.empty()) {
        const Node* n = stack.back();
        stack.pop_back();
        if (n->entry >= 0 && entries_[n->entry].path == path)
            return createIndex(n->row, 0, const_cast<Node*>(n));
        for (const auto& child : n->children)
            stack.push_back(child.get());
    }
    return {};
}

QModelIndex ModelTreeModel::index(int row, int column, const QModelIndex& parent) const {
    const Node* p = node(parent);
    if (!p || row < 0 || row >= static_cast<int>(p->children.size()) || column < 0 || column >= ColumnCount)
        return {};
    return createIndex(row, column, p->children[static_cast<size_t>(row)].get());
}

QModelIndex ModelTreeModel::parent(const QModelIndex& child) const {
    const Node* n = node(child);
    if (!child.isValid() || !n->parent || n->parent == root_.get()) return {};
    return createIndex(n->parent->row, 0, n->parent);
}

int ModelTreeModel::rowCount(const QModelIndex& parent) const {
    if (parent.column() > 0) return 0;
    return static_cast<int>(node(parent)->children.size());
}

int ModelTreeModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

QVariant ModelTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case Name:
            return tr("Model");
        case Architecture:
            return tr("Architecture");
        case Parameters:
            return tr("Parameters");
        case Type:
            return tr("Type");
        case Size:
            return tr("Size");
        case Status:
            return tr("Can run here");
    }
    return {};
}

QVariant ModelTreeModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const Node* n = node(index);
    if (n->entry >= 0) {
        const ModelEntry& e = entries_[n->entry];
        if (role == PathRole) return e.path;
        if (role == EntryRole) return QVariant::fromValue(e);
        if (index.column() == Name && role == Qt::DisplayRole) return n->label;
        if (role == Qt::ToolTipRole && !n->tooltip.isEmpty() && e.runnable) return n->tooltip;
        return entryData(e, index.column(), role);
    }
    if (index.column() != Name) return {};
    if (role == Qt::DisplayRole) return n->label;
    if (role == Qt::ToolTipRole && !n->tooltip.isEmpty()) return n->tooltip;
    return {};
}

QVariant ModelTreeModel::entryData(const ModelEntry& e, int column, int role) const {
    if (role == Qt::ToolTipRole) return e.runnable ? tr("Ready to load: %1").arg(e.path) : e.problem;
    if (role == Qt::ForegroundRole && !e.runnable)
        return QApplication::palette().brush(QPalette::Disabled, QPalette::Text);
    // On the name, so that whether a model can run shows however narrow the browser is.
    if (role == Qt::DecorationRole && column == Name)
        return QApplication::style()->standardIcon(e.runnable ? QStyle::SP_DialogApplyButton
                                                              : QStyle::SP_MessageBoxWarning);
    if (role != Qt::DisplayRole) return {};
    switch (column) {
        case Architecture:
            return e.architecture;
        case Parameters:
            return e.parameters > 0 ? parameters_text(e.parameters) : QString();
        case Type:
            return e.dtypes.isEmpty() ? e.format : e.dtypes;
        case Size:
            return e.bytesOnDisk > 0 ? bytes_text(e.bytesOnDisk) : QString();
        case Status:
            return e.runnable ? tr("yes") : e.problem;
    }
    return {};
}

}  // namespace loom::ui
