// The model browser (left of the main window): every model the catalog found, with what it is and whether
// it can run here (and why not), a filter box, refresh, adding folders, and loading with a progress bar that
// can be cancelled. Loading itself is the engine worker's job: the browser asks with loadRequested().
#pragma once

#include <QWidget>

#include "catalog/model_entry.h"
#include "worker/worker_types.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QToolButton;
class QTreeView;

namespace loom::ui {

class ModelCatalog;
class ModelTreeModel;

class ModelBrowser : public QWidget {
    Q_OBJECT

  public:
    explicit ModelBrowser(ModelCatalog* catalog, QWidget* parent = nullptr);

    QLineEdit* filterBox() const { return filter_; }
    // Where models are loaded: "auto" (a GPU if there is one), "cpu" or "vulkan". Remembered across runs.
    QString backend() const;
    // The weight type to convert to on load ("" keeps the stored types).
    QString weightType() const;
    void setBackend(const QString& backend);
    QTreeView* view() const { return view_; }
    // Asks for a folder and adds it to the catalog.
    void chooseFolder();

  public slots:
    void showLoading(const QString& model);
    void showLoadProgress(double fraction);
    void showLoaded(const loom::ui::LoadedModel& model);
    void showLoadFailed(const QString& error, bool cancelled);

  signals:
    void loadRequested(const QString& path);
    void cancelLoadRequested();

  private:
    void onScanned();
    void onSelectionChanged();
    void loadSelected();
    void showContextMenu(const QPoint& at);
    const ModelEntry* selectedEntry() const;

    ModelCatalog* catalog_;
    ModelTreeModel* model_;
    QSortFilterProxyModel* proxy_;
    QLineEdit* filter_;
    QToolButton* refresh_;
    QLabel* scanning_;
    QTreeView* view_;
    QLabel* details_;
    QComboBox* backend_;
    QComboBox* weights_;
    QPushButton* load_;
    QLabel* status_;
    QProgressBar* progress_;
    QPushButton* cancel_;
    QString loaded_path_;
};

}  // namespace loom::ui
