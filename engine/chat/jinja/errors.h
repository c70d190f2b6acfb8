// The errors a template can cause. All are loom::Error, so callers catch one type; the subclasses let the
// interpreter add the template position to an error once, at the innermost place it can name.
#pragma once

#include <string>

#include "util/error.h"

namespace loom::jinja {

// A position in the template source, 1-based; line 0 means "unknown".
struct SourceLocation {
    int line = 0;
    int column = 0;
};

// An error that already names where in the template it happened.
class TemplateError : public Error {
  public:
    TemplateError(SourceLocation where, const std::string& message)
        : Error(cat("template line ", where.line, ", column ", where.column, ": ", message)), where_(where) {}
    SourceLocation where() const { return where_; }

  private:
    SourceLocation where_;
};

// What the template itself raised with raise_exception(message); the message is the template's, verbatim
// (e.g. "Conversation roles must alternate user/assistant/user/assistant/...").
class TemplateRaised : public Error {
  public:
    using Error::Error;
};

}  // namespace loom::jinja
