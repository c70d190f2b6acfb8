// The object the visualizer's page sees over QWebChannel (as `loom`). It carries no state: the panel
// (visualizer_panel.h) decides what to show and sends it through the signals below; the page's requests
// arrive through the invokable methods and are passed on to the panel as the `page...` signals.
#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QString>

namespace loom::ui {

class VisualizerBridge : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;

    // Called by the page (resources/web/js/visualizer.js).
    Q_INVOKABLE void pageLoaded();
    Q_INVOKABLE void selectPosition(double position);  // a JavaScript number
    Q_INVOKABLE void followLatest();
    Q_INVOKABLE void chooseAttention(int layer, int head);
    Q_INVOKABLE void showView(const QString& view);

  signals:
    // To the panel, from the page.
    void pageLoadedReceived();
    void pageSelectedPosition(qint64 position);
    void pageFollowedLatest();
    void pageChoseAttention(int layer, int head);
    void pageShowedView(const QString& view);

    // To the page (see visualizer_json.h for the shapes).
    void modelChanged(const QJsonObject& model);
    // The positions that are new or changed, and how many positions the conversation now has.
    void positionsChanged(const QJsonArray& changed, double count);
    // {position, following, layer, head, view}
    void selectionChanged(const QJsonObject& selection);
    // {status: "idle" | "computing" | "ready" | "unavailable", view?: ...}
    void attentionChanged(const QJsonObject& attention);
    void logitLensChanged(const QJsonObject& logitLens);
    void themeChanged(const QJsonObject& theme);
};

}  // namespace loom::ui
