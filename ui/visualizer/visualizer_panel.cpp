#include "visualizer/visualizer_panel.h"

#include <algorithm>
#include <limits>

#include <QEvent>
#include <QHideEvent>
#include <QJsonArray>
#include <QShowEvent>
#include <QVBoxLayout>
#include <QWebChannel>
#include <QWebEnginePage>
#include <QWebEngineProfile>
#include <QWebEngineSettings>
#include <QWebEngineView>

#include "visualizer/local_only_interceptor.h"
#include "visualizer/visualizer_bridge.h"
#include "visualizer/visualizer_json.h"

namespace loom::ui {

namespace {

const QUrl kPageUrl(QStringLiteral("qrc:/loom/web/visualizer.html"));
// Changes that come in bursts (one position per generated token) are gathered for this long before the
// worker is asked for anything.
constexpr int kRequestDelayMs = 60;

QJsonObject status_json(const char* status) {
    return QJsonObject{{"status", QLatin1String(status)}};
}

}  // namespace

VisualizerPanel::VisualizerPanel(QWidget* parent) : QWidget(parent) {
    // An off-the-record profile of its own: no cache or cookies on disk, and the interceptor applies to this
    // view only.
    profile_ = new QWebEngineProfile(this);
    interceptor_ = new LocalOnlyInterceptor(profile_);
    profile_->setUrlRequestInterceptor(interceptor_);

    page_ = new QWebEnginePage(profile_, this);
    page_->setBackgroundColor(palette().color(QPalette::Window));
    QWebEngineSettings* settings = page_->settings();
    settings->setAttribute(QWebEngineSettings::LocalContentCanAccessRemoteUrls, false);
    settings->setAttribute(QWebEngineSettings::JavascriptCanOpenWindows, false);
    settings->setAttribute(QWebEngineSettings::PluginsEnabled, false);

    bridge_ = new VisualizerBridge(this);
    channel_ = new QWebChannel(this);
    channel_->registerObject(QStringLiteral("loom"), bridge_);
    page_->setWebChannel(channel_);

    view_ = new QWebEngineView(this);
    view_->setPage(page_);
    view_->setContextMenuPolicy(Qt::NoContextMenu);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view_);

    connect(bridge_, &VisualizerBridge::pageLoadedReceived, this, &VisualizerPanel::onPageLoaded);
    connect(bridge_, &VisualizerBridge::pageSelectedPosition, this, &VisualizerPanel::onPageSelectedPosition);
    connect(bridge_, &VisualizerBridge::pageFollowedLatest, this, &VisualizerPanel::onPageFollowedLatest);
    connect(bridge_, &VisualizerBridge::pageChoseAttention, this, &VisualizerPanel::onPageChoseAttention);
    connect(bridge_, &VisualizerBridge::pageShowedView, this, &VisualizerPanel::onPageShowedView);
    // A reload (or a crashed renderer coming back) starts the page from nothing: it asks for everything
    // again.
    connect(page_, &QWebEnginePage::loadStarted, this, [this] { page_loaded_ = false; });

    request_timer_.setSingleShot(true);
    request_timer_.setInterval(kRequestDelayMs);
    connect(&request_timer_, &QTimer::timeout, this, &VisualizerPanel::sendRequests);

    page_->load(kPageUrl);
}

VisualizerPanel::~VisualizerPanel() {
    // WebEngine wants a profile's pages gone before the profile itself.
    delete view_;
    delete page_;
    delete profile_;
}

int VisualizerPanel::blockedRequests() const {
    return interceptor_->blockedRequests();
}

// --- the API the app calls ------------------------------------------------------------------------------

void VisualizerPanel::setModel(const VisualizerModelInfo& model) {
    model_ = model;
    positions_.clear();
    layer_ = 0;
    head_ = -1;
    selected_ = -1;
    following_ = true;
    forgetViews();
    if (page_loaded_) emit bridge_->modelChanged(model_to_json(model_));
    sendSelection();
}

void VisualizerPanel::appendPositions(const QVector<PositionCapture>& captures) {
    if (captures.isEmpty()) return;
    qint64 first_changed = std::numeric_limits<qint64>::max();
    QJsonArray changed;
    for (const PositionCapture& capture : captures) {
        if (capture.position < 0) continue;
        if (capture.position >= positions_.size()) {
            // Positions arrive in order; a gap would mean a lost batch. Keep placeholders so the numbering
            // stays right, and let the next batch fill them.
            const qint64 gap_start = positions_.size();
            positions_.resize(capture.position + 1);
            for (qint64 p = gap_start; p < capture.position; ++p) {
                positions_[p].position = p;
                changed.append(position_to_json(positions_[p]));
            }
        }
        positions_[capture.position] = capture;
        first_changed = std::min(first_changed, capture.position);
        changed.append(position_to_json(capture));
    }
    if (page_loaded_) emit bridge_->positionsChanged(changed, double(positions_.size()));

    const qint64 was_selected = selected_;
    if (following_) setSelection(latestPosition(), true);  // forgets the views if the selection moved
    if (selected_ == was_selected && first_changed <= selected_) {
        // The selected token, or one it attends to, was recomputed: what was shown for it is out of date.
        forgetViews();
        scheduleRequests();
    }
}

void VisualizerPanel::truncate(qint64 count) {
    count = std::clamp<qint64>(count, 0, positions_.size());
    if (count == positions_.size()) return;
    positions_.resize(count);
    if (page_loaded_) emit bridge_->positionsChanged(QJsonArray(), double(count));
    if (following_ || selected_ >= count) setSelection(latestPosition(), true);
}

void VisualizerPanel::selectPosition(qint64 position) {
    if (position < 0 || position >= positions_.size())
        setSelection(latestPosition(), true);
    else
        setSelection(position, false);
}

void VisualizerPanel::setAttention(const AttentionView& view) {
    const AttentionChoice choice = attentionChoice();
    // A view of all heads also answers a question about one of them.
    if (view.position != choice.position || view.layer != choice.layer ||
        (view.head != choice.head && view.head != -1))
        return;
    attention_ = view;
    sendAttention();
}

void VisualizerPanel::setLogitLens(const LogitLensView& view) {
    if (view.position != selected_) return;
    logit_lens_ = view;
    sendLogitLens();
}

// --- selection and requests -------------------------------------------------------------------------------

void VisualizerPanel::setSelection(qint64 position, bool following) {
    const bool moved = position != selected_;
    selected_ = position;
    following_ = following;
    if (moved) forgetViews();
    sendSelection();
    scheduleRequests();
}

void VisualizerPanel::forgetAttention() {
    attention_asked_.reset();
    attention_.reset();
    sendAttention();
}

void VisualizerPanel::forgetViews() {
    forgetAttention();
    logit_lens_asked_.reset();
    logit_lens_.reset();
    sendLogitLens();
}

void VisualizerPanel::scheduleRequests() {
    if (!request_timer_.isActive()) request_timer_.start();
}

void VisualizerPanel::sendRequests() {
    // Nobody looks at a hidden panel; showEvent() asks again.
    if (!isVisible() || selected_ < 0) return;
    if (active_view_ == QLatin1String("attention") && !attention_ && attention_asked_ != attentionChoice()) {
        attention_asked_ = attentionChoice();
        sendAttention();
        emit attentionRequested(selected_, layer_, head_);
    }
    if (active_view_ == QLatin1String("lens") && !logit_lens_ && logit_lens_asked_ != selected_) {
        logit_lens_asked_ = selected_;
        sendLogitLens();
        emit logitLensRequested(selected_);
    }
}

// --- page -> panel ----------------------------------------------------------------------------------------

void VisualizerPanel::onPageLoaded() {
    page_loaded_ = true;
    sendTheme();
    emit bridge_->modelChanged(model_to_json(model_));
    QJsonArray all;
    for (const PositionCapture& capture : positions_)
        all.append(position_to_json(capture));
    emit bridge_->positionsChanged(all, double(positions_.size()));
    sendSelection();
    sendAttention();
    sendLogitLens();
    emit pageLoaded();
}

void VisualizerPanel::onPageSelectedPosition(qint64 position) {
    if (position < 0 || position >= positions_.size()) return;
    setSelection(position, false);
    emit positionSelected(position);
}

void VisualizerPanel::onPageFollowedLatest() {
    setSelection(latestPosition(), true);
    emit positionSelected(-1);
}

void VisualizerPanel::onPageChoseAttention(int layer, int head) {
    layer = std::clamp(layer, 0, std::max(model_.layers - 1, 0));
    head = std::clamp(head, -1, std::max(model_.heads - 1, -1));
    if (layer == layer_ && head == head_) return;
    layer_ = layer;
    head_ = head;
    // An answer for all heads of this layer still serves a single head of it.
    const bool keep =
        attention_ && attention_->layer == layer && attention_->head == -1 && attention_->heads > 0;
    if (!keep) forgetAttention();
    sendSelection();
    if (keep) sendAttention();
    scheduleRequests();
}

void VisualizerPanel::onPageShowedView(const QString& view) {
    active_view_ = view;
    scheduleRequests();
}

// --- panel -> page ----------------------------------------------------------------------------------------

void VisualizerPanel::sendSelection() {
    if (!page_loaded_) return;
    emit bridge_->selectionChanged(QJsonObject{{"position", double(selected_)},
                                               {"following", following_},
                                               {"layer", layer_},
                                               {"head", head_},
                                               {"view", active_view_}});
}

void VisualizerPanel::sendAttention() {
    if (!page_loaded_) return;
    if (attention_ && attention_->heads == 0) {
        emit bridge_->attentionChanged(status_json("unavailable"));
    } else if (attention_) {
        QJsonObject message = status_json("ready");
        message["view"] = attention_to_json(*attention_);
        emit bridge_->attentionChanged(message);
    } else {
        emit bridge_->attentionChanged(status_json(attention_asked_ ? "computing" : "idle"));
    }
}

void VisualizerPanel::sendLogitLens() {
    if (!page_loaded_) return;
    if (logit_lens_) {
        QJsonObject message = status_json("ready");
        message["view"] = logit_lens_to_json(*logit_lens_);
        emit bridge_->logitLensChanged(message);
    } else {
        emit bridge_->logitLensChanged(status_json(logit_lens_asked_ ? "computing" : "idle"));
    }
}

void VisualizerPanel::sendTheme() {
    page_->setBackgroundColor(palette().color(QPalette::Window));
    if (page_loaded_) emit bridge_->themeChanged(theme_to_json(palette(), font()));
}

// --- events -----------------------------------------------------------------------------------------------

void VisualizerPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) sendTheme();
    QWidget::changeEvent(event);
}

void VisualizerPanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!event->spontaneous()) emit shownChanged(true);
    scheduleRequests();
}

void VisualizerPanel::hideEvent(QHideEvent* event) {
    QWidget::hideEvent(event);
    if (!event->spontaneous()) emit shownChanged(false);
}

}  // namespace loom::ui
