#include "theme.h"

#include <QApplication>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>
#include <QStyle>

namespace loom::ui {

namespace {

const char* kPortalService = "org.freedesktop.portal.Desktop";
const char* kPortalPath = "/org/freedesktop/portal/desktop";
const char* kPortalSettings = "org.freedesktop.portal.Settings";

bool palette_is_dark(const QPalette& palette) {
    return palette.color(QPalette::Window).lightness() < 128;
}

QPalette dark_palette() {
    QPalette p;
    const QColor window(0x2b, 0x2b, 0x2e), base(0x1f, 0x1f, 0x22), text(0xe6, 0xe6, 0xe6),
        muted(0x8a, 0x8a, 0x8f);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, muted);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Link, QColor(0x64, 0xb5, 0xf6));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7a, 0xd6));
    p.setColor(QPalette::HighlightedText, Qt::white);
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, muted);
    return p;
}

// The portal's color-scheme: 1 prefers dark, 2 prefers light, 0 no preference.
bool prefers_dark(const QVariant& value) {
    QVariant v = value;
    while (v.canConvert<QDBusVariant>())
        v = v.value<QDBusVariant>().variant();  // Read() wraps it twice
    return v.toUInt() == 1;
}

}  // namespace

SystemTheme::SystemTheme(QObject* parent) : QObject(parent) {
    platform_palette_ = QApplication::palette();
    platform_is_dark_ = palette_is_dark(platform_palette_);
    dark_ = platform_is_dark_;
    const QString forced = qEnvironmentVariable("LOOM_THEME").toLower();
    if (forced == QLatin1String("dark") || forced == QLatin1String("light")) {
        apply(forced == QLatin1String("dark"));
        return;
    }
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected()) return;
    bus.connect(QLatin1String(kPortalService), QLatin1String(kPortalPath), QLatin1String(kPortalSettings),
                QStringLiteral("SettingChanged"), this,
                SLOT(onPortalSettingChanged(QString, QString, QDBusVariant)));
    askPortal();
}

void SystemTheme::askPortal() {
    QDBusMessage call =
        QDBusMessage::createMethodCall(QLatin1String(kPortalService), QLatin1String(kPortalPath),
                                       QLatin1String(kPortalSettings), QStringLiteral("Read"));
    call << QStringLiteral("org.freedesktop.appearance") << QStringLiteral("color-scheme");
    auto* watcher = new QDBusPendingCallWatcher(QDBusConnection::sessionBus().asyncCall(call, 2000), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher* w) {
        QDBusPendingReply<QVariant> reply = *w;
        if (!reply.isError()) apply(prefers_dark(reply.value()));  // no portal: keep the platform's palette
        w->deleteLater();
    });
}

void SystemTheme::onPortalSettingChanged(const QString& group, const QString& key,
                                         const QDBusVariant& value) {
    if (group == QLatin1String("org.freedesktop.appearance") && key == QLatin1String("color-scheme"))
        apply(prefers_dark(value.variant()));
}

void SystemTheme::apply(bool dark) {
    if (dark == dark_) return;
    if (dark) {
        QApplication::setStyle(QStringLiteral("Fusion"));  // Fusion honours every role of the palette
        QApplication::setPalette(dark_palette());
    } else {
        // Back to the platform's own palette, or the style's light one if the platform's was dark.
        QApplication::setPalette(platform_is_dark_ ? QApplication::style()->standardPalette()
                                                   : platform_palette_);
    }
    dark_ = dark;
    emit changed(dark);
}

}  // namespace loom::ui
