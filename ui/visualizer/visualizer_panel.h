// The visualizer: the right-hand pane in which the user looks inside the model while it works.
//
// A Qt WebEngine view of a page compiled into the app (resources/web/, served from qrc:/loom/web/) that
// draws four views of the token the user selects: hidden-state norms per layer and a layers x tokens
// heatmap; attention of a layer (one head, or a grid of all heads); the logit lens; the next-token
// distribution. The panel owns the state (positions, selection, chosen layer and head, computed views) and
// sends it to the page over QWebChannel; the page reports clicks back. The view never touches the network.
//
// Everything here runs on the GUI thread. The engine worker produces the values (capture_views.h) and
// answers the requests this panel emits. Requests are only made for the view the user is looking at, while
// the panel is visible, and a burst of changes (tokens streaming in while following the latest one) makes
// one request, not one per change.
#pragma once

#include <QString>
#include <QTimer>
#include <QVector>
#include <QWidget>
#include <optional>

#include "visualizer/visualizer_types.h"

class QWebEnginePage;
class QWebEngineProfile;
class QWebEngineView;
class QWebChannel;

namespace loom::ui {

class LocalOnlyInterceptor;
class VisualizerBridge;

class VisualizerPanel : public QWidget {
    Q_OBJECT
  public:
    explicit VisualizerPanel(QWidget* parent = nullptr);
    ~VisualizerPanel() override;

    // Starts over for a model: forgets every position, the selection and the computed views, and follows the
    // latest position again.
    void setModel(const VisualizerModelInfo& model);
    // Adds captured positions. A position that is already there is replaced (the worker recomputed it).
    void appendPositions(const QVector<PositionCapture>& positions);
    // Keeps only the first `positions` positions (the conversation was cut back).
    void truncate(qint64 positions);
    // Shows `position`; -1 follows the latest position (the default) until another one is picked.
    void selectPosition(qint64 position);
    // Answers to attentionRequested() and logitLensRequested(). An answer for a position (or a layer and
    // head) that is no longer chosen is ignored. An AttentionView without matrices (heads == 0) says that the
    // attention of that position was not kept.
    void setAttention(const AttentionView& view);
    void setLogitLens(const LogitLensView& view);

    qint64 selectedPosition() const { return selected_; }  // -1 while there are no positions
    bool followsLatest() const { return following_; }
    qint64 positionCount() const { return positions_.size(); }
    // The page, for tests: runJavaScript("loomVisualizerState()").
    QWebEnginePage* page() const { return page_; }
    bool isPageLoaded() const { return page_loaded_; }
    // Network requests the view refused (there should be none).
    int blockedRequests() const;

  signals:
    // The user picked a token in this panel; -1: the user went back to following the latest token.
    // Not emitted for selectPosition().
    void positionSelected(qint64 position);
    // Compute the attention of `layer` around `position` for one head, or for all heads (-1).
    void attentionRequested(qint64 position, int layer, int head);
    void logitLensRequested(qint64 position);
    // The page has loaded and shows the panel's state.
    void pageLoaded();
    // The panel was opened (shown) or closed (hidden) by the app, not by the window being minimised: the
    // engine should capture only while it is shown.
    void shownChanged(bool shown);

  protected:
    void changeEvent(QEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

  private:
    struct AttentionChoice {
        qint64 position = -1;
        int layer = 0;
        int head = -1;
        bool operator==(const AttentionChoice&) const = default;
    };

    qint64 latestPosition() const { return qint64(positions_.size()) - 1; }
    AttentionChoice attentionChoice() const { return {selected_, layer_, head_}; }
    // Moves the selection; forgets the views computed for the old one.
    void setSelection(qint64 position, bool following);
    void forgetAttention();
    void forgetViews();
    void scheduleRequests();
    void sendRequests();

    // Page -> panel.
    void onPageLoaded();
    void onPageSelectedPosition(qint64 position);
    void onPageFollowedLatest();
    void onPageChoseAttention(int layer, int head);
    void onPageShowedView(const QString& view);

    // Panel -> page (no-ops until the page has loaded; onPageLoaded() sends everything).
    void sendSelection();
    void sendAttention();
    void sendLogitLens();
    void sendTheme();

    QWebEngineProfile* profile_ = nullptr;
    LocalOnlyInterceptor* interceptor_ = nullptr;
    QWebEnginePage* page_ = nullptr;
    QWebEngineView* view_ = nullptr;
    QWebChannel* channel_ = nullptr;
    VisualizerBridge* bridge_ = nullptr;
    bool page_loaded_ = false;

    VisualizerModelInfo model_;
    QVector<PositionCapture> positions_;  // index = position
    qint64 selected_ = -1;
    bool following_ = true;
    int layer_ = 0;  // the attention view's layer
    int head_ = -1;  // its head; -1: all heads
    QString active_view_ = QStringLiteral("hidden");

    // What was asked for the current choice, and the answer once it came.
    std::optional<AttentionChoice> attention_asked_;
    std::optional<AttentionView> attention_;
    std::optional<qint64> logit_lens_asked_;
    std::optional<LogitLensView> logit_lens_;
    QTimer request_timer_;
};

}  // namespace loom::ui
