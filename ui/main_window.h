// Loom's main window: the model browser and the conversations on the left, the chat in the centre, the
// visualizer on the right (View > Visualizer). It builds the parts, connects them, and owns the menus,
// keyboard shortcuts, drag and drop of model files and folders, and the remembered window layout.
#pragma once

#include <QMainWindow>
#include <memory>

class QAction;
class QLabel;
class QSplitter;

namespace loom::ui {

class ChatController;
class ChatPane;
class ConversationList;
class ConversationStore;
class EngineClient;
class ModelBrowser;
class ModelCatalog;
class SystemTheme;
class VisualizerLink;
class VisualizerPanel;

struct MainWindowOptions {
    QString model;      // what to load at start-up: a path or "org/name"; empty: the built-in model
    QString backend;    // "auto", "cpu" or "vulkan"; empty: the one chosen last time
    QString storeFile;  // the conversation database; empty: ConversationStore::defaultFile()
};

class MainWindow : public QMainWindow {
    Q_OBJECT

  public:
    explicit MainWindow(const MainWindowOptions& options, QWidget* parent = nullptr);
    ~MainWindow() override;

    void setVisualizerOpen(bool open);
    // Loads a model file or folder, adding it to the browser's list (as dropping it on the window does).
    void openModelPath(const QString& path);

    // The parts, for tests.
    EngineClient* engine() const { return client_; }
    ChatController* chat() const { return chat_; }
    ChatPane* chatPane() const { return pane_; }
    ModelBrowser* browser() const { return browser_; }
    ModelCatalog* catalog() const { return catalog_; }
    VisualizerPanel* visualizer() const { return visualizer_; }

  protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    void buildMenus();
    void restoreLayout();
    void saveLayout() const;
    void openStore(const QString& file);
    void chooseModelFile();
    void showAbout();
    void showMessage(const QString& text, int milliseconds = 8000);
    // Loads `model` (empty: the built-in one) where the browser says models run.
    void loadModel(const QString& model);

    std::unique_ptr<ConversationStore> store_;
    EngineClient* client_;
    ModelCatalog* catalog_;
    SystemTheme* theme_;
    ModelBrowser* browser_;
    ConversationList* conversations_;
    ChatPane* pane_;
    ChatController* chat_;
    VisualizerPanel* visualizer_;
    VisualizerLink* link_;
    QSplitter* splitter_;
    QSplitter* left_splitter_;
    QAction* visualizer_action_;
    QLabel* model_label_;
};

}  // namespace loom::ui
