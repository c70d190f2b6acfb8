// Light or dark, following the desktop. Qt 6.4 has no colour-scheme API, so Loom asks the XDG desktop
// portal (org.freedesktop.appearance color-scheme, set by GNOME, KDE Plasma and others) without blocking,
// follows its changes live, and switches to a dark Fusion palette when the desktop prefers dark and the
// platform theme did not already give a dark palette. LOOM_THEME=light or dark overrides the desktop.
#pragma once

#include <QObject>
#include <QPalette>

class QDBusVariant;

namespace loom::ui {

class SystemTheme : public QObject {
    Q_OBJECT

  public:
    explicit SystemTheme(QObject* parent = nullptr);
    bool isDark() const { return dark_; }

  signals:
    void changed(bool dark);

  private slots:
    void onPortalSettingChanged(const QString& group, const QString& key, const QDBusVariant& value);

  private:
    void askPortal();
    void apply(bool dark);

    QPalette platform_palette_;  // what the platform gave us, restored for light
    bool platform_is_dark_ = false;
    bool dark_ = false;
};

}  // namespace loom::ui
