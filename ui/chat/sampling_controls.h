// The sampling controls of the chat pane: temperature, top-k, top-p, min-p, repetition penalty, max tokens
// and seed. Every field is bounded to values the engine accepts, so an absurd value cannot even be typed.
// The values are remembered across runs (QSettings).
#pragma once

#include <QWidget>

#include "worker/worker_types.h"

class QDoubleSpinBox;
class QSpinBox;

namespace loom::ui {

class SamplingControls : public QWidget {
    Q_OBJECT

  public:
    explicit SamplingControls(QWidget* parent = nullptr);

    SamplingSettings settings() const;
    void setSettings(const SamplingSettings& settings);

    void load();  // from QSettings
    void save() const;

  private:
    QDoubleSpinBox* temperature_;
    QSpinBox* top_k_;
    QDoubleSpinBox* top_p_;
    QDoubleSpinBox* min_p_;
    QDoubleSpinBox* repeat_penalty_;
    QSpinBox* max_tokens_;
    QSpinBox* seed_;
};

}  // namespace loom::ui
