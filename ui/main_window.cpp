#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <memory>

#include "about_dialog.h"
#include "api/builtin_model.h"
#include "browser/model_browser.h"
#include "catalog/model_catalog.h"
#include "chat/chat_controller.h"
#include "chat/chat_pane.h"
#include "chat/conversation_list.h"
#include "formats/hf_cache.h"
#include "store/conversation_store.h"
#include "theme.h"
#include "visualizer/visualizer_panel.h"
#include "visualizer_link.h"
#include "worker/engine_client.h"

namespace loom::ui {

namespace {

QString builtin_model_or_empty() {
    try {
        return QString::fromStdString(loom::builtin_model_path().string());
    } catch (const std::exception&) {
        return {};  // the catalog leaves it out; loading it reports why
    }
}

}  // namespace

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(QStringLiteral("Loom"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("dev.loom.Loom")));
    openStore(options.storeFile.isEmpty() ? ConversationStore::defaultFile() : options.storeFile);

    client_ = new EngineClient(this);
    catalog_ = new ModelCatalog(QString::fromStdString(loom::hf_cache_root().string()),
                                builtin_model_or_empty(), this);
    theme_ = new SystemTheme(this);
    browser_ = new ModelBrowser(catalog_);
    conversations_ = new ConversationList;
    pane_ = new ChatPane;
    chat_ = new ChatController(store_.get(), client_, pane_, conversations_, this);
    visualizer_ = new VisualizerPanel;
    link_ = new VisualizerLink(visualizer_, client_, chat_, this);

    left_splitter_ = new QSplitter(Qt::Vertical);
    left_splitter_->addWidget(browser_);
    left_splitter_->addWidget(conversations_);
    splitter_ = new QSplitter(Qt::Horizontal);
    splitter_->addWidget(left_splitter_);
    splitter_->addWidget(pane_);
    splitter_->addWidget(visualizer_);
    splitter_->setStretchFactor(1, 1);
    splitter_->setChildrenCollapsible(false);
    setCentralWidget(splitter_);
    // Files dropped anywhere on the window go to the window (to load a model), also over the visualizer's
    // web view, which would otherwise try to open them as pages.
    for (QWidget* child : visualizer_->findChildren<QWidget*>())
        child->setAcceptDrops(false);

    model_label_ = new QLabel(tr("No model"));
    statusBar()->addPermanentWidget(model_label_);

    connect(browser_, &ModelBrowser::loadRequested, this, &MainWindow::loadModel);
    if (!options.backend.isEmpty()) browser_->setBackend(options.backend);
    connect(browser_, &ModelBrowser::cancelLoadRequested, client_, &EngineClient::cancelLoad);
    connect(client_, &EngineClient::loadStarted, browser_, &ModelBrowser::showLoading);
    connect(client_, &EngineClient::loadProgress, browser_, &ModelBrowser::showLoadProgress);
    connect(client_, &EngineClient::modelLoaded, browser_, &ModelBrowser::showLoaded);
    connect(client_, &EngineClient::modelLoadFailed, browser_, &ModelBrowser::showLoadFailed);
    auto show_where = [this](const LoadedModel& model) {
        model_label_->setText(tr("%1 on %2").arg(model.name, model.backend));
        model_label_->setToolTip(model.path);
    };
    connect(client_, &EngineClient::modelLoaded, this, [this, show_where](const LoadedModel& model) {
        show_where(model);
        pane_->setModelMode(model.name, model.hasChatTemplate);
        if (model.note.isEmpty())
            showMessage(tr("Loaded %1 in %2 s").arg(model.name).arg(model.loadSeconds, 0, 'f', 2), 4000);
        else
            showMessage(model.note, 15000);  // why it does not run on the GPU
    });
    connect(client_, &EngineClient::modelMoved, browser_, &ModelBrowser::showLoaded);
    connect(client_, &EngineClient::modelMoved, this, [this, show_where](const LoadedModel& model) {
        show_where(model);
        showMessage(model.note, 15000);
    });
    // If the model named on the command line fails and nothing else is loaded, fall back (once) to the
    // built-in model, so that the window is usable.
    auto fall_back = std::make_shared<bool>(!options.model.isEmpty());
    connect(client_, &EngineClient::modelLoadFailed, this,
            [this, fall_back](const QString& error, bool cancelled) {
                if (!cancelled) showMessage(tr("Could not load the model: %1").arg(error), 15000);
                if (*fall_back && !client_->model() && !client_->isLoading()) {
                    *fall_back = false;
                    loadModel({});
                }
            });
    connect(client_, &EngineClient::requestRefused, this,
            [this](const QString& reason) { showMessage(reason); });
    connect(client_, &EngineClient::problem, this,
            [this](const QString& message) { showMessage(message, 15000); });

    buildMenus();
    restoreLayout();
    setAcceptDrops(true);

    chat_->start();
    catalog_->refresh();
    loadModel(options.model);
}

void MainWindow::loadModel(const QString& model) {
    ModelLoadRequest request;
    request.model = model;
    request.backend = browser_->backend();
    request.weightType = browser_->weightType();
    client_->loadModel(request);
}

MainWindow::~MainWindow() = default;

void MainWindow::openStore(const QString& file) {
    try {
        store_ = std::make_unique<ConversationStore>(file);
    } catch (const StoreError& e) {
        // Keep the app usable: conversations live in memory for this run, and the user is told why.
        QMessageBox::warning(this, tr("Conversations cannot be saved"),
                             tr("%1\n\nLoom will keep this session's conversations in memory only.")
                                 .arg(QString::fromStdString(e.what())));
        store_ = std::make_unique<ConversationStore>(QStringLiteral(":memory:"));
    }
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New chat"), QKeySequence::New, chat_, &ChatController::newConversation);
    file->addAction(tr("&Open model…"), QKeySequence::Open, this, &MainWindow::chooseModelFile);
    file->addAction(tr("&Add model folder…"), browser_, &ModelBrowser::chooseFolder);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* chat = menuBar()->addMenu(tr("&Chat"));
    QAction* send = chat->addAction(tr("&Send"), chat_, &ChatController::send);
    send->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
    chat->addAction(tr("S&top"), QKeySequence(Qt::Key_Escape), chat_, &ChatController::stop);
    chat->addAction(tr("&Regenerate"), QKeySequence(Qt::CTRL | Qt::Key_R), chat_,
                    &ChatController::regenerate);
    chat->addSeparator();
    chat->addAction(tr("Re&name conversation"), QKeySequence(Qt::Key_F2), conversations_,
                    &ConversationList::renameCurrent);
    chat->addAction(tr("&Delete conversation…"), conversations_, &ConversationList::deleteCurrent);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    visualizer_action_ = view->addAction(tr("&Visualizer"));
    visualizer_action_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    visualizer_action_->setCheckable(true);
    visualizer_action_->setIconText(tr("Look inside"));
    visualizer_action_->setToolTip(
        tr("Show or hide the visualizer: hidden states, attention and the logit lens of any token (Ctrl+I)"));
    pane_->addHeaderAction(visualizer_action_);
    connect(visualizer_action_, &QAction::toggled, this, &MainWindow::setVisualizerOpen);
    view->addAction(tr("&Refresh models"), QKeySequence::Refresh, catalog_, &ModelCatalog::refresh);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Loom"), this, &MainWindow::showAbout);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::setVisualizerOpen(bool open) {
    if (visualizer_action_->isChecked() != open) visualizer_action_->setChecked(open);  // comes back here
    visualizer_->setVisible(open);
    if (open) {
        QList<int> sizes = splitter_->sizes();
        if (sizes.size() == 3 && sizes[2] < 200) {
            const int total = sizes[0] + sizes[1] + sizes[2];
            sizes[2] = total * 2 / 5;
            sizes[1] = std::max(300, total - sizes[0] - sizes[2]);
            splitter_->setSizes(sizes);
        }
    }
    link_->setOpen(open);
}

void MainWindow::restoreLayout() {
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) resize(1500, 900);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!splitter_->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray())) {
        // First start: shares of the width the window has once shown (before that, the splitter's width is
        // not yet the window's): models, the conversation with its sampling controls, the visualizer.
        QTimer::singleShot(0, this, [this] {
            const int width = splitter_->width();
            splitter_->setSizes({width * 22 / 100, width * 43 / 100, width * 35 / 100});
        });
    }
    if (!left_splitter_->restoreState(settings.value(QStringLiteral("window/leftSplitter")).toByteArray()))
        left_splitter_->setSizes({520, 300});
    // Open on the first start: looking inside the model is what Loom is for. Closed, replies run at full
    // speed (nothing is captured).
    setVisualizerOpen(settings.value(QStringLiteral("window/visualizerOpen"), true).toBool());
}

void MainWindow::saveLayout() const {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/splitter"), splitter_->saveState());
    settings.setValue(QStringLiteral("window/leftSplitter"), left_splitter_->saveState());
    settings.setValue(QStringLiteral("window/visualizerOpen"), link_->isOpen());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    chat_->saveDraft();
    chat_->finishReply(3000);  // a reply being written is stopped and saved, not lost
    saveLayout();
    event->accept();
}

void MainWindow::showMessage(const QString& text, int milliseconds) {
    statusBar()->showMessage(text, milliseconds);
}

void MainWindow::showAbout() {
    AboutDialog(client_->model(), this).exec();
}

void MainWindow::chooseModelFile() {
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Open a model"), QString(),
        tr("Models (*.gguf config.json);;GGUF files (*.gguf);;Hugging Face model folder (config.json)"));
    if (!file.isEmpty()) openModelPath(file);
}

void MainWindow::openModelPath(const QString& path) {
    QFileInfo info(path);
    // A model folder is chosen through its config.json in a file dialog.
    const QString model =
        info.fileName() == QLatin1String("config.json") ? info.absolutePath() : info.absoluteFilePath();
    catalog_->addUserPath(model);
    const bool is_model =
        QFileInfo(model).isFile() || QFileInfo::exists(model + QStringLiteral("/config.json"));
    if (is_model)
        loadModel(model);
    else
        showMessage(tr("Added %1: the models in it appear in the browser.").arg(model));
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (std::any_of(urls.begin(), urls.end(), [](const QUrl& url) { return url.isLocalFile(); }))
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) openModelPath(url.toLocalFile());
    event->acceptProposedAction();
}

}  // namespace loom::ui
