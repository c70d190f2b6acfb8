// Keeps the visualizer's web view off the network: every request whose scheme is not one of the page's own
// (qrc:, data:, blob:) is refused. The page ships every script it uses, so nothing legitimate is lost; a
// refused request is logged once per address so that a stray reference shows up during development.
#pragma once

#include <QMutex>
#include <QSet>
#include <QWebEngineUrlRequestInterceptor>
#include <atomic>

namespace loom::ui {

class LocalOnlyInterceptor : public QWebEngineUrlRequestInterceptor {
    Q_OBJECT
  public:
    explicit LocalOnlyInterceptor(QObject* parent = nullptr);

    // Called by WebEngine on its IO thread for every request of the profile.
    void interceptRequest(QWebEngineUrlRequestInfo& info) override;

    static bool isAllowed(const QUrl& url);
    // How many requests were refused so far (any thread).
    int blockedRequests() const { return blocked_.load(); }

  private:
    std::atomic<int> blocked_{0};
    QMutex reported_mutex_;
    QSet<QString> reported_;  // addresses already logged
};

}  // namespace loom::ui
