#include "visualizer/local_only_interceptor.h"

#include <QDebug>
#include <QMutexLocker>
#include <QWebEngineUrlRequestInfo>

namespace loom::ui {

LocalOnlyInterceptor::LocalOnlyInterceptor(QObject* parent) : QWebEngineUrlRequestInterceptor(parent) {}

bool LocalOnlyInterceptor::isAllowed(const QUrl& url) {
    const QString scheme = url.scheme().toLower();
    return scheme == QLatin1String("qrc") || scheme == QLatin1String("data") ||
           scheme == QLatin1String("blob");
}

void LocalOnlyInterceptor::interceptRequest(QWebEngineUrlRequestInfo& info) {
    if (isAllowed(info.requestUrl())) return;
    info.block(true);
    blocked_.fetch_add(1);
    const QString address = info.requestUrl().toString();
    QMutexLocker lock(&reported_mutex_);
    if (!reported_.contains(address)) {
        reported_.insert(address);
        qWarning().noquote() << "visualizer: refused a network request (the page must not use the network):"
                             << address;
    }
}

}  // namespace loom::ui
