#include "worker/backend_choices.h"

#include <QObject>

#include "gpu/vulkan_backend.h"
#include "util/cpu_features.h"
#include "util/error.h"

namespace loom::ui {

QVector<BackendChoice> backend_choices() {
    QVector<BackendChoice> choices;
    choices.push_back({QObject::tr("GPU if there is one"), QStringLiteral("auto"),
                       QObject::tr("A Vulkan GPU when the machine has one, else the CPU."), true});
    choices.push_back({QObject::tr("CPU"), QStringLiteral("cpu"),
                       QObject::tr("%1 kernels").arg(QString::fromStdString(cpu_features().describe())),
                       true});
    try {
        for (const VulkanDeviceInfo& device : list_vulkan_devices()) {
            BackendChoice choice;
            choice.label = QObject::tr("%1 (%2, %3 GiB)")
                               .arg(QString::fromStdString(device.name), QString::fromStdString(device.type))
                               .arg(static_cast<double>(device.memory_bytes) / (1u << 30), 0, 'f', 1);
            choice.value = QStringLiteral("vulkan:%1").arg(device.index);
            choice.details =
                QObject::tr("Vulkan %1, driver %2")
                    .arg(QString::fromStdString(device.api_version), QString::fromStdString(device.driver));
            if (!device.usable)
                choice.details +=
                    QObject::tr("; cannot be used: %1").arg(QString::fromStdString(device.unusable_reason));
            if (device.is_cpu)
                choice.details += QObject::tr(" (a software device: slower than Loom's CPU backend)");
            choice.enabled = device.usable;
            choices.push_back(choice);
        }
    } catch (const Error& e) {
        choices.push_back({QObject::tr("Vulkan: not available"), QStringLiteral("vulkan"),
                           QString::fromStdString(e.what()), false});
    }
    return choices;
}

QVector<WeightChoice> weight_choices() {
    return {{QObject::tr("as stored"), QString()},
            {QObject::tr("Q8_0 (8-bit)"), QStringLiteral("Q8_0")},
            {QObject::tr("Q4_K_M (4-bit, mixed)"), QStringLiteral("Q4_K_M")},
            {QObject::tr("Q4_0 (4-bit)"), QStringLiteral("Q4_0")},
            {QObject::tr("F16"), QStringLiteral("F16")}};
}

}  // namespace loom::ui
