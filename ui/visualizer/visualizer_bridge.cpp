#include "visualizer/visualizer_bridge.h"

#include <cmath>

namespace loom::ui {

void VisualizerBridge::pageLoaded() {
    emit pageLoadedReceived();
}

void VisualizerBridge::selectPosition(double position) {
    if (std::isfinite(position) && position >= 0) emit pageSelectedPosition(static_cast<qint64>(position));
}

void VisualizerBridge::followLatest() {
    emit pageFollowedLatest();
}

void VisualizerBridge::chooseAttention(int layer, int head) {
    emit pageChoseAttention(layer, head);
}

void VisualizerBridge::showView(const QString& view) {
    emit pageShowedView(view);
}

}  // namespace loom::ui
