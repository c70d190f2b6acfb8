// Shared by the template engine's tests: render a template with variables written as JSON.
#pragma once

#include <QByteArray>

#include <nlohmann/json.hpp>
#include <string>

#include "chat/jinja/json.h"
#include "chat/jinja/template.h"
#include "util/error.h"

namespace loom::jinja::testing {

inline Dict variables_from_json(const QByteArray& json_text) {
    Dict variables;
    if (json_text.isEmpty()) return variables;
    nlohmann::ordered_json json = nlohmann::ordered_json::parse(json_text.toStdString());
    for (const auto& [name, value] : json.items())
        variables.set(name, from_json(value));
    return variables;
}

inline QByteArray render(const QByteArray& source, const QByteArray& variables = {},
                         const SyntaxOptions& syntax = {}, const RenderOptions& options = {}) {
    return QByteArray::fromStdString(
        Template(source.toStdString(), syntax).render(variables_from_json(variables), options));
}

// The message of the Error that parsing or rendering throws, or "(no error)" when it succeeds.
inline QByteArray render_error(const QByteArray& source, const QByteArray& variables = {},
                               const RenderOptions& options = {}) {
    try {
        render(source, variables, {}, options);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace loom::jinja::testing
