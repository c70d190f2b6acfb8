#include "browser/model_browser.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include "browser/model_tree_model.h"
#include "catalog/model_catalog.h"
#include "worker/backend_choices.h"

namespace loom::ui {

ModelBrowser::ModelBrowser(ModelCatalog* catalog, QWidget* parent)
    : QWidget(parent),
      catalog_(catalog),
      model_(new ModelTreeModel(this)),
      proxy_(new QSortFilterProxyModel(this)) {
    proxy_->setSourceModel(model_);
    proxy_->setRecursiveFilteringEnabled(true);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy_->setFilterKeyColumn(-1);  // any column: name, architecture, type, status...

    filter_ = new QLineEdit;
    filter_->setPlaceholderText(tr("Filter models"));
    filter_->setClearButtonEnabled(true);
    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
        proxy_->setFilterFixedString(text);
        view_->expandAll();
    });
    refresh_ = new QToolButton;
    refresh_->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    refresh_->setToolTip(tr("Look for models again"));
    connect(refresh_, &QToolButton::clicked, catalog_, &ModelCatalog::refresh);
    auto* add = new QToolButton;
    add->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    add->setToolTip(tr("Add a folder with models (GGUF files or Hugging Face model folders)"));
    connect(add, &QToolButton::clicked, this, &ModelBrowser::chooseFolder);
    scanning_ = new QLabel(tr("Scanning…"));
    scanning_->setVisible(false);

    view_ = new QTreeView;
    view_->setModel(proxy_);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    view_->header()->setStretchLastSection(true);
    view_->setAccessibleName(tr("Models"));
    connect(view_, &QTreeView::doubleClicked, this, [this] { loadSelected(); });
    connect(view_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &ModelBrowser::onSelectionChanged);
    connect(view_, &QTreeView::customContextMenuRequested, this, &ModelBrowser::showContextMenu);

    details_ = new QLabel;
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    details_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    load_ = new QPushButton(tr("Load"));
    load_->setEnabled(false);
    connect(load_, &QPushButton::clicked, this, &ModelBrowser::loadSelected);
    backend_ = new QComboBox;
    backend_->setObjectName(QStringLiteral("backendChoice"));
    for (const BackendChoice& choice : backend_choices()) {
        backend_->addItem(choice.label, choice.value);
        const int index = backend_->count() - 1;
        backend_->setItemData(index, choice.details, Qt::ToolTipRole);
        if (!choice.enabled)
            if (auto* items = qobject_cast<QStandardItemModel*>(backend_->model()))
                items->item(index)->setEnabled(false);
    }
    backend_->setToolTip(
        tr("Where the next model loaded runs. Without a usable GPU it runs on the CPU, and "
           "Loom says why."));
    weights_ = new QComboBox;
    for (const WeightChoice& choice : weight_choices())
        weights_->addItem(choice.label, choice.value);
    weights_->setToolTip(
        tr("Convert the weights when loading: fewer bits read per token is faster, at some cost "
           "in quality."));
    setBackend(QSettings().value(QStringLiteral("models/backend"), QStringLiteral("auto")).toString());
    connect(backend_, &QComboBox::currentIndexChanged, this,
            [this] { QSettings().setValue(QStringLiteral("models/backend"), backend()); });

    status_ = new QLabel;
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    progress_ = new QProgressBar;
    progress_->setRange(0, 100);
    progress_->setVisible(false);
    cancel_ = new QPushButton(tr("Cancel"));
    cancel_->setVisible(false);
    connect(cancel_, &QPushButton::clicked, this, &ModelBrowser::cancelLoadRequested);

    auto* top = new QHBoxLayout;
    top->addWidget(filter_, 1);
    top->addWidget(refresh_);
    top->addWidget(add);
    auto* loading = new QHBoxLayout;
    loading->addWidget(progress_, 1);
    loading->addWidget(cancel_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(scanning_);
    layout->addWidget(view_, 1);
    layout->addWidget(details_);
    auto* load_row = new QHBoxLayout;
    load_row->addWidget(load_, 1);
    load_row->addWidget(new QLabel(tr("on")));
    load_row->addWidget(backend_);
    auto* weights_row = new QHBoxLayout;
    weights_row->addWidget(new QLabel(tr("Weights")));
    weights_row->addWidget(weights_, 1);
    layout->addLayout(load_row);
    layout->addLayout(weights_row);
    layout->addWidget(status_);
    layout->addLayout(loading);

    connect(catalog_, &ModelCatalog::scanStarted, this, [this] { scanning_->setVisible(true); });
    connect(catalog_, &ModelCatalog::scanned, this, &ModelBrowser::onScanned);
}

QString ModelBrowser::backend() const {
    return backend_->currentData().toString();
}

QString ModelBrowser::weightType() const {
    return weights_->currentData().toString();
}

void ModelBrowser::setBackend(const QString& backend) {
    const QSignalBlocker quiet(backend_);  // only the user's own choice is remembered, not `loom --backend`
    int index = backend_->findData(backend);
    if (index < 0 && backend == QStringLiteral("vulkan"))  // "the GPU": the first Vulkan device listed
        index = backend_->findData(QStringLiteral("vulkan:"), Qt::UserRole, Qt::MatchStartsWith);
    backend_->setCurrentIndex(index >= 0 ? index : 0);
}

void ModelBrowser::chooseFolder() {
    QString folder = QFileDialog::getExistingDirectory(this, tr("Add a folder with models"));
    if (!folder.isEmpty()) catalog_->addUserPath(folder);
}

void ModelBrowser::onScanned() {
    scanning_->setVisible(false);
    const QString selected = selectedEntry() ? selectedEntry()->path : loaded_path_;
    model_->setEntries(catalog_->entries(), catalog_->hfCacheRoot());
    view_->expandAll();
    for (int column = 0; column < ModelTreeModel::Status; ++column)
        view_->resizeColumnToContents(column);
    QModelIndex again = proxy_->mapFromSource(model_->indexOfPath(selected));
    if (again.isValid()) view_->setCurrentIndex(again);
    onSelectionChanged();
}

const ModelEntry* ModelBrowser::selectedEntry() const {
    return model_->entry(proxy_->mapToSource(view_->currentIndex().siblingAtColumn(0)));
}

void ModelBrowser::onSelectionChanged() {
    const ModelEntry* e = selectedEntry();
    load_->setEnabled(e && e->runnable);
    if (!e) {
        details_->setText(tr("Select a model to see what it is."));
        return;
    }
    QStringList lines;
    lines << QStringLiteral("<b>%1</b>").arg((e->group.isEmpty() ? e->name : e->group).toHtmlEscaped());
    lines << QStringLiteral("<small>%1</small>").arg(e->path.toHtmlEscaped());
    QStringList facts;
    if (!e->architecture.isEmpty()) facts << e->architecture.toHtmlEscaped();
    if (e->parameters > 0) facts << tr("%1 parameters").arg(parameters_text(e->parameters));
    if (!e->dtypes.isEmpty()) facts << e->dtypes.toHtmlEscaped();
    if (!e->format.isEmpty()) facts << e->format.toHtmlEscaped();
    if (e->bytesOnDisk > 0) facts << tr("%1 on disk").arg(bytes_text(e->bytesOnDisk));
    if (!e->tokenizer.isEmpty()) facts << tr("%1 tokenizer").arg(e->tokenizer.toHtmlEscaped());
    facts << (e->hasChatTemplate ? tr("chat template") : tr("no chat template (plain completion)"));
    lines << facts.join(QStringLiteral(" · "));
    if (e->runnable)
        lines << tr("<span style='color:#2e7d32'>Can run here.</span>");
    else
        lines << tr("<span style='color:#c62828'>Cannot run here: %1</span>").arg(e->problem.toHtmlEscaped());
    details_->setText(lines.join(QStringLiteral("<br>")));
}

void ModelBrowser::loadSelected() {
    const ModelEntry* e = selectedEntry();
    if (e && e->runnable) emit loadRequested(e->path);
}

void ModelBrowser::showContextMenu(const QPoint& at) {
    QModelIndex index = proxy_->mapToSource(view_->indexAt(at).siblingAtColumn(0));
    const ModelEntry* e = model_->entry(index);
    QString user_path;  // the path the user added that this row comes from
    if (e && e->source == ModelSource::UserFolder) user_path = e->group.isEmpty() ? e->path : e->group;
    if (!e && index.isValid()) {
        QString tooltip = model_->data(index, Qt::ToolTipRole).toString();
        if (catalog_->userPaths().contains(tooltip)) user_path = tooltip;
    }
    QMenu menu;
    if (e && e->runnable)
        menu.addAction(tr("Load"), this, [this, path = e->path] { emit loadRequested(path); });
    if (!user_path.isEmpty())
        menu.addAction(tr("Remove from the list"), this,
                       [this, user_path] { catalog_->removeUserPath(user_path); });
    menu.addAction(tr("Add a folder…"), this, &ModelBrowser::chooseFolder);
    menu.addAction(tr("Refresh"), catalog_, &ModelCatalog::refresh);
    menu.exec(view_->viewport()->mapToGlobal(at));
}

void ModelBrowser::showLoading(const QString& model) {
    status_->setText(
        tr("Loading %1…").arg(model.isEmpty() ? tr("the built-in model") : model.toHtmlEscaped()));
    progress_->setValue(0);
    progress_->setVisible(true);
    cancel_->setVisible(true);
}

void ModelBrowser::showLoadProgress(double fraction) {
    progress_->setValue(static_cast<int>(fraction * 100));
}

void ModelBrowser::showLoaded(const LoadedModel& model) {
    loaded_path_ = model.path;
    if (!selectedEntry()) {  // nothing chosen yet: show the model in use
        QModelIndex loaded = proxy_->mapFromSource(model_->indexOfPath(model.path));
        if (loaded.isValid()) view_->setCurrentIndex(loaded);
    }
    progress_->setVisible(false);
    cancel_->setVisible(false);
    QString text = tr("<b>Loaded:</b> %1 (%2, %3 parameters, %4) in %5 s, on %6")
                       .arg(model.name.toHtmlEscaped(), model.architecture.toHtmlEscaped(),
                            parameters_text(model.parameters), model.weightTypes.toHtmlEscaped())
                       .arg(model.loadSeconds, 0, 'f', 2)
                       .arg(model.backend.toHtmlEscaped());
    if (!model.note.isEmpty())
        text += QStringLiteral("<br><small>%1</small>").arg(model.note.toHtmlEscaped());
    status_->setText(text);
}

void ModelBrowser::showLoadFailed(const QString& error, bool cancelled) {
    progress_->setVisible(false);
    cancel_->setVisible(false);
    QString still = loaded_path_.isEmpty() ? QString() : tr(" The previous model is still loaded.");
    if (cancelled)
        status_->setText(tr("Loading was cancelled.") + still);
    else
        status_->setText(
            tr("<span style='color:#c62828'>Could not load the model: %1</span>").arg(error.toHtmlEscaped()) +
            still);
}

}  // namespace loom::ui
