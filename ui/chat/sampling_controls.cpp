#include "chat/sampling_controls.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <initializer_list>

namespace loom::ui {

namespace {

QDoubleSpinBox* number(double min, double max, double step, int decimals, const QString& tip) {
    auto* box = new QDoubleSpinBox;
    box->setRange(min, max);
    box->setSingleStep(step);
    box->setDecimals(decimals);
    box->setToolTip(tip);
    return box;
}

QSpinBox* integer(int min, int max, const QString& tip) {
    auto* box = new QSpinBox;
    box->setRange(min, max);
    box->setToolTip(tip);
    return box;
}

}  // namespace

SamplingControls::SamplingControls(QWidget* parent) : QWidget(parent) {
    temperature_ =
        number(0, 5, 0.05, 2, tr("How random the choice of each token is; 0 always takes the most likely."));
    top_k_ = integer(0, 100000, tr("Choose among the k most likely tokens only; 0: no limit."));
    top_p_ = number(0.01, 1, 0.01, 2,
                    tr("Choose among the most likely tokens whose probabilities add up to p; 1: no limit."));
    min_p_ =
        number(0, 1, 0.01, 2, tr("Drop tokens less likely than min-p times the most likely one; 0: off."));
    repeat_penalty_ = number(1, 3, 0.05, 2, tr("Make tokens that appeared recently less likely; 1: off."));
    max_tokens_ = integer(1, 32768, tr("The longest reply, in tokens."));
    seed_ = integer(-1, 2147483647,
                    tr("The same seed and settings give the same reply; -1: a new seed each time."));
    seed_->setSpecialValueText(tr("random"));

    for (QAbstractSpinBox* box : std::initializer_list<QAbstractSpinBox*>{
             temperature_, top_k_, top_p_, min_p_, repeat_penalty_, max_tokens_, seed_})
        box->setMaximumWidth(90);

    auto* reset = new QPushButton(tr("Defaults"));
    connect(reset, &QPushButton::clicked, this, [this] { setSettings(SamplingSettings{}); });

    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Temperature"), temperature_);
    form->addRow(tr("Top-k"), top_k_);
    form->addRow(tr("Top-p"), top_p_);
    form->addRow(tr("Min-p"), min_p_);
    form->addRow(tr("Repeat penalty"), repeat_penalty_);
    form->addRow(tr("Max tokens"), max_tokens_);
    form->addRow(tr("Seed"), seed_);
    form->addRow(QString(), reset);
    setSettings(SamplingSettings{});
}

SamplingSettings SamplingControls::settings() const {
    SamplingSettings s;
    s.temperature = temperature_->value();
    s.topK = top_k_->value();
    s.topP = top_p_->value();
    s.minP = min_p_->value();
    s.repeatPenalty = repeat_penalty_->value();
    s.maxTokens = max_tokens_->value();
    s.seed = seed_->value();
    return s;
}

void SamplingControls::setSettings(const SamplingSettings& s) {
    temperature_->setValue(s.temperature);
    top_k_->setValue(s.topK);
    top_p_->setValue(s.topP);
    min_p_->setValue(s.minP);
    repeat_penalty_->setValue(s.repeatPenalty);
    max_tokens_->setValue(s.maxTokens);
    seed_->setValue(static_cast<int>(s.seed));
}

void SamplingControls::load() {
    QSettings settings;
    SamplingSettings d;
    settings.beginGroup(QStringLiteral("sampling"));
    d.temperature = settings.value(QStringLiteral("temperature"), d.temperature).toDouble();
    d.topK = settings.value(QStringLiteral("topK"), d.topK).toInt();
    d.topP = settings.value(QStringLiteral("topP"), d.topP).toDouble();
    d.minP = settings.value(QStringLiteral("minP"), d.minP).toDouble();
    d.repeatPenalty = settings.value(QStringLiteral("repeatPenalty"), d.repeatPenalty).toDouble();
    d.maxTokens = settings.value(QStringLiteral("maxTokens"), d.maxTokens).toInt();
    d.seed = settings.value(QStringLiteral("seed"), d.seed).toLongLong();
    setSettings(d);  // the spin boxes clamp anything out of range a hand-edited file may hold
}

void SamplingControls::save() const {
    QSettings settings;
    SamplingSettings s = this->settings();
    settings.beginGroup(QStringLiteral("sampling"));
    settings.setValue(QStringLiteral("temperature"), s.temperature);
    settings.setValue(QStringLiteral("topK"), s.topK);
    settings.setValue(QStringLiteral("topP"), s.topP);
    settings.setValue(QStringLiteral("minP"), s.minP);
    settings.setValue(QStringLiteral("repeatPenalty"), s.repeatPenalty);
    settings.setValue(QStringLiteral("maxTokens"), s.maxTokens);
    settings.setValue(QStringLiteral("seed"), s.seed);
}

}  // namespace loom::ui
