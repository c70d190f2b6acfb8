// Help > About: Loom's version, the versions of what it was built with, the CPU features the engine uses, and
// the loaded model with its licence as its files state it.
#pragma once

#include <QDialog>
#include <optional>

#include "worker/worker_types.h"

namespace loom::ui {

// The licence of the model at `modelPath` (a folder, or a file in one): the text of a LICENSE / LICENCE file
// next to it, else the `license:` field of its README.md's front matter (Hugging Face model cards), else
// empty.
QString read_model_licence(const QString& modelPath);

class AboutDialog : public QDialog {
    Q_OBJECT

  public:
    AboutDialog(const std::optional<LoadedModel>& model, QWidget* parent = nullptr);
};

}  // namespace loom::ui
