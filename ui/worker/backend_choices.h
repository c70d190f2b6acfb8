// What a model can be loaded on here, for the model browser's "on" menu: a GPU if there is one, the CPU,
// and each Vulkan device with its memory and driver (or why Vulkan cannot be used).
#pragma once

#include <QString>
#include <QVector>

namespace loom::ui {

struct BackendChoice {
    QString label;    // "NVIDIA GeForce RTX 4070 (discrete GPU, 12.0 GiB)"
    QString value;    // what ModelLoadRequest::backend takes: "auto", "cpu", "vulkan:0"
    QString details;  // tooltip: driver, Vulkan version, or why the device cannot be used
    bool enabled = true;
};

// Asks the Vulkan loader once per call (about 0.1 s); without Vulkan the list says why.
QVector<BackendChoice> backend_choices();

// The weight types a model can be converted to when it is loaded: value "" keeps the stored types.
struct WeightChoice {
    QString label;
    QString value;  // a loom::QuantScheme name, or ""
};
QVector<WeightChoice> weight_choices();

}  // namespace loom::ui
