#include "chat/jinja/parser.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace loom::jinja {

namespace {

using namespace ast;

// Nesting deeper than this is refused rather than risking the native stack on hostile input; real templates
// nest a handful of levels.
constexpr int kMaxNesting = 100;

template <class Node>
ExprPtr make_expr(SourceLocation where, Node node) {
    return std::make_unique<Expr>(Expr{where, std::move(node)});
}

template <class Node>
StmtPtr make_stmt(SourceLocation where, Node node) {
    return std::make_unique<Stmt>(Stmt{where, std::move(node)});
}

class Parser {
  public:
    explicit Parser(const std::vector<Token>& tokens) : tokens_(tokens) {}

    Body parse_template() {
        std::string found;
        return parse_body({}, "", {}, found);
    }

  private:
    // --- token stream ----------------------------------------------------------------------------------

    const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
    const Token& next() {
        const Token& token = peek();
        if (pos_ < tokens_.size() - 1) ++pos_;
        return token;
    }
    bool at_operator(std::string_view op, size_t ahead = 0) const {
        return peek(ahead).kind == TokenKind::Operator && peek(ahead).text == op;
    }
    bool at_name(std::string_view name, size_t ahead = 0) const {
        return peek(ahead).kind == TokenKind::Name && peek(ahead).text == name;
    }
    bool skip_operator(std::string_view op) {
        if (!at_operator(op)) return false;
        next();
        return true;
    }
    bool skip_name(std::string_view name) {
        if (!at_name(name)) return false;
        next();
        return true;
    }

    [[noreturn]] void fail_expected(std::string_view expected) const {
        throw TemplateError(peek().where, cat("expected ", expected, " but found ", describe(peek())));
    }
    void expect_operator(std::string_view op) {
        if (!skip_operator(op)) fail_expected(cat("'", op, "'"));
    }
    std::string expect_name(std::string_view what) {
        if (peek().kind != TokenKind::Name) fail_expected(what);
        return next().text;
    }
    void expect_block_end(std::string_view tag) {
        if (peek().kind != TokenKind::BlockEnd) fail_expected(cat("'%}' to end the '", tag, "' tag"));
        next();
    }

    // Guards recursion on nested expressions and blocks.
    struct NestingGuard {
        NestingGuard(Parser& parser) : parser(parser) {
            if (++parser.nesting_ > kMaxNesting)
                throw TemplateError(parser.peek().where,
                                    cat("nested more than ", kMaxNesting, " levels deep"));
        }
        ~NestingGuard() { --parser.nesting_; }
        Parser& parser;
    };

    // --- statements ------------------------------------------------------------------------------------

    // Parses until one of `end_tags` opens a block tag; leaves the stream after that tag's name and reports
    // it in `found`. `opening` and `opened_at` describe the block being closed, for the error if it never is.
    Body parse_body(std::initializer_list<std::string_view> end_tags, std::string_view opening,
                    SourceLocation opened_at, std::string& found) {
        NestingGuard guard(*this);
        Body body;
        while (true) {
            const Token& token = peek();
            switch (token.kind) {
                case TokenKind::Text:
                    body.push_back(make_stmt(token.where, Text{token.text}));
                    next();
                    break;
                case TokenKind::VariableBegin: {
                    SourceLocation where = next().where;
                    ExprPtr expr = parse_tuple();
                    if (peek().kind != TokenKind::VariableEnd) fail_expected("'}}'");
                    next();
                    body.push_back(make_stmt(where, Output{std::move(expr)}));
                    break;
                }
                case TokenKind::BlockBegin: {
                    SourceLocation where = next().where;
                    std::string tag = expect_name("a tag name such as 'if', 'for' or 'set'");
                    if (std::find(end_tags.begin(), end_tags.end(), tag) != end_tags.end()) {
                        found = tag;
                        return body;
                    }
                    body.push_back(parse_statement(tag, where, end_tags));
                    break;
                }
                case TokenKind::EndOfInput:
                    if (end_tags.size() == 0) return body;
                    throw TemplateError(opened_at,
                                        cat("this {% ", opening, " %} is never closed: expected {% ",
                                            *(end_tags.end() - 1), " %} before the end of the template"));
                default:
                    fail_expected("template text, '{{' or '{%'");
            }
        }
    }

    StmtPtr parse_statement(const std::string& tag, SourceLocation where,
                            std::initializer_list<std::string_view> open_end_tags) {
        if (tag == "if") return parse_if(where);
        if (tag == "for") return parse_for(where);
        if (tag == "set") return parse_set(where);
        if (tag == "macro") return parse_macro(where);
        if (tag == "break" || tag == "continue") {
            if (loop_depth_ == 0)
                throw TemplateError(where, cat("{% ", tag, " %} is only allowed inside a {% for %} loop"));
            expect_block_end(tag);
            return make_stmt(where, LoopControl{tag == "break"});
        }
        if (tag == "generation") {
            // Hugging Face's marker around the assistant's own words; it renders its content unchanged.
            expect_block_end(tag);
            std::string found;
            Body body = parse_body({"endgeneration"}, "generation", where, found);
            expect_block_end(found);
            return make_stmt(where, Block{std::move(body)});
        }
        static constexpr std::string_view kClosingTags[] = {"elif",   "else",     "endif",         "endfor",
                                                            "endset", "endmacro", "endgeneration", "endraw"};
        if (std::find(std::begin(kClosingTags), std::end(kClosingTags), tag) != std::end(kClosingTags)) {
            if (open_end_tags.size() == 0)
                throw TemplateError(
                    where, cat("unexpected {% ", tag, " %}: there is no open block for it to close"));
            throw TemplateError(where,
                                cat("unexpected {% ", tag, " %}: expected {% ", *(open_end_tags.end() - 1),
                                    " %} to close the innermost open block first"));
        }
        throw TemplateError(where, cat("unknown tag '", tag,
                                       "' (chat templates can use if, for, set, macro, "
                                       "break, continue, raw and generation)"));
    }

    StmtPtr parse_if(SourceLocation where) {
        If node;
        ExprPtr condition = parse_expression();
        expect_block_end("if");
        while (true) {
            std::string found;
            Body body = parse_body({"elif", "else", "endif"}, "if", where, found);
            node.branches.emplace_back(std::move(condition), std::move(body));
            if (found == "elif") {
                condition = parse_expression();
                expect_block_end("elif");
                continue;
            }
            if (found == "else") {
                expect_block_end("else");
                node.otherwise = parse_body({"endif"}, "if", where, found);
            }
            expect_block_end("endif");
            return make_stmt(where, std::move(node));
        }
    }

    // Names to assign: `x`, `key, value` or `(key, value)`.
    std::vector<std::string> parse_targets(std::string_view tag) {
        bool parenthesized = skip_operator("(");
        std::vector<std::string> names;
        do {
            names.push_back(expect_name(cat("a variable name in the '", tag, "' tag")));
        } while (skip_operator(","));
        if (parenthesized) expect_operator(")");
        return names;
    }

    StmtPtr parse_for(SourceLocation where) {
        For node;
        node.targets = parse_targets("for");
        if (!skip_name("in")) fail_expected("'in' after the loop variable");
        node.iterable = parse_tuple(/*with_conditional=*/false);
        if (skip_name("if")) node.condition = parse_expression();
        if (at_name("recursive"))
            throw TemplateError(peek().where, "recursive loops are not supported in chat templates");
        expect_block_end("for");
        ++loop_depth_;
        std::string found;
        node.body = parse_body({"else", "endfor"}, "for", where, found);
        --loop_depth_;
        if (found == "else") {
            expect_block_end("else");
            node.otherwise = parse_body({"endfor"}, "for", where, found);
        }
        expect_block_end("endfor");
        return make_stmt(where, std::move(node));
    }

    StmtPtr parse_set(SourceLocation where) {
        Set node;
        node.targets.push_back(expect_name("a variable name after 'set'"));
        if (skip_operator(".")) {
            node.attribute = expect_name("an attribute name after '.'");
        } else {
            while (skip_operator(","))
                node.targets.push_back(expect_name("a variable name after ','"));
        }
        if (node.targets.size() == 1 && node.attribute.empty() && peek().kind == TokenKind::BlockEnd) {
            next();
            std::string found;
            Body body = parse_body({"endset"}, "set", where, found);
            expect_block_end("endset");
            return make_stmt(where, SetBlock{node.targets[0], std::move(body)});
        }
        expect_operator("=");
        node.value = parse_tuple();
        expect_block_end("set");
        return make_stmt(where, std::move(node));
    }

    StmtPtr parse_macro(SourceLocation where) {
        Macro node;
        node.name = expect_name("the macro's name");
        expect_operator("(");
        while (!at_operator(")")) {
            MacroParameter parameter;
            parameter.name = expect_name("a parameter name");
            if (skip_operator("=")) parameter.default_value = parse_expression();
            node.parameters.push_back(std::move(parameter));
            if (!skip_operator(",")) break;
        }
        expect_operator(")");
        expect_block_end("macro");
        int outer_loop_depth = loop_depth_;
        loop_depth_ = 0;  // {% break %} in a macro cannot leave a loop around the call
        std::string found;
        node.body = std::make_shared<const Body>(parse_body({"endmacro"}, "macro", where, found));
        loop_depth_ = outer_loop_depth;
        expect_block_end("endmacro");
        return make_stmt(where, std::move(node));
    }

    // --- expressions -----------------------------------------------------------------------------------

    bool at_tuple_end() const {
        TokenKind kind = peek().kind;
        return kind == TokenKind::VariableEnd || kind == TokenKind::BlockEnd ||
               kind == TokenKind::EndOfInput || at_operator(")");
    }

    // An expression, or several separated by commas, which make a tuple.
    ExprPtr parse_tuple(bool with_conditional = true) {
        SourceLocation where = peek().where;
        ExprPtr first = parse_expression(with_conditional);
        if (!at_operator(",")) return first;
        ListLiteral tuple;
        tuple.tuple = true;
        tuple.items.push_back(std::move(first));
        while (skip_operator(",")) {
            if (at_tuple_end()) break;
            tuple.items.push_back(parse_expression(with_conditional));
        }
        return make_expr(where, std::move(tuple));
    }

    ExprPtr parse_expression(bool with_conditional = true) {
        NestingGuard guard(*this);
        return with_conditional ? parse_conditional() : parse_or();
    }

    ExprPtr parse_conditional() {
        ExprPtr value = parse_or();
        while (at_name("if")) {
            SourceLocation where = next().where;
            ExprPtr condition = parse_or();
            ExprPtr otherwise = skip_name("else") ? parse_conditional() : nullptr;
            value =
                make_expr(where, Conditional{std::move(condition), std::move(value), std::move(otherwise)});
        }
        return value;
    }

    ExprPtr parse_or() {
        ExprPtr left = parse_and();
        while (at_name("or")) {
            SourceLocation where = next().where;
            left = make_expr(where, Binary{BinaryOp::Or, std::move(left), parse_and()});
        }
        return left;
    }

    ExprPtr parse_and() {
        ExprPtr left = parse_not();
        while (at_name("and")) {
            SourceLocation where = next().where;
            left = make_expr(where, Binary{BinaryOp::And, std::move(left), parse_not()});
        }
        return left;
    }

    ExprPtr parse_not() {
        if (at_name("not")) {
            NestingGuard guard(*this);
            SourceLocation where = next().where;
            return make_expr(where, Unary{UnaryOp::Not, parse_not()});
        }
        return parse_compare();
    }

    ExprPtr parse_compare() {
        SourceLocation where = peek().where;
        ExprPtr first = parse_math1();
        Compare compare;
        while (true) {
            static constexpr std::pair<std::string_view, CompareOp> kOperators[] = {
                {"==", CompareOp::Equal},     {"!=", CompareOp::NotEqual}, {"<", CompareOp::Less},
                {"<=", CompareOp::LessEqual}, {">", CompareOp::Greater},   {">=", CompareOp::GreaterEqual}};
            auto op = std::find_if(std::begin(kOperators), std::end(kOperators),
                                   [&](const auto& entry) { return at_operator(entry.first); });
            if (op != std::end(kOperators)) {
                next();
                compare.rest.emplace_back(op->second, parse_math1());
            } else if (skip_name("in")) {
                compare.rest.emplace_back(CompareOp::In, parse_math1());
            } else if (at_name("not") && at_name("in", 1)) {
                next();
                next();
                compare.rest.emplace_back(CompareOp::NotIn, parse_math1());
            } else {
                break;
            }
        }
        if (compare.rest.empty()) return first;
        compare.first = std::move(first);
        return make_expr(where, std::move(compare));
    }

    // Left-associative binary operators: parses operand (op operand)*.
    template <class Operand>
    ExprPtr parse_binary(std::initializer_list<std::pair<std::string_view, BinaryOp>> operators,
                         Operand operand) {
        ExprPtr left = operand();
        while (true) {
            auto op = std::find_if(operators.begin(), operators.end(),
                                   [&](const auto& entry) { return at_operator(entry.first); });
            if (op == operators.end()) return left;
            SourceLocation where = next().where;
            left = make_expr(where, Binary{op->second, std::move(left), operand()});
        }
    }

    ExprPtr parse_math1() {
        return parse_binary({{"+", BinaryOp::Add}, {"-", BinaryOp::Subtract}},
                            [this] { return parse_concat(); });
    }
    ExprPtr parse_concat() {
        return parse_binary({{"~", BinaryOp::Concat}}, [this] { return parse_math2(); });
    }
    ExprPtr parse_math2() {
        return parse_binary({{"*", BinaryOp::Multiply},
                             {"/", BinaryOp::Divide},
                             {"//", BinaryOp::FloorDivide},
                             {"%", BinaryOp::Modulo}},
                            [this] { return parse_pow(); });
    }
    ExprPtr parse_pow() {
        return parse_binary({{"**", BinaryOp::Power}}, [this] { return parse_unary(); });
    }

    ExprPtr parse_unary(bool with_filters = true) {
        NestingGuard guard(*this);
        SourceLocation where = peek().where;
        ExprPtr node;
        if (skip_operator("-")) {
            node = make_expr(where, Unary{UnaryOp::Negate, parse_unary(false)});
        } else if (skip_operator("+")) {
            node = make_expr(where, Unary{UnaryOp::Plus, parse_unary(false)});
        } else {
            node = parse_primary();
        }
        node = parse_postfix(std::move(node));
        return with_filters ? parse_filters_and_tests(std::move(node)) : std::move(node);
    }

    ExprPtr parse_primary() {
        const Token& token = peek();
        SourceLocation where = token.where;
        switch (token.kind) {
            case TokenKind::Name: {
                next();
                const std::string& name = token.text;
                if (name == "true" || name == "True") return make_expr(where, Literal{Value(true)});
                if (name == "false" || name == "False") return make_expr(where, Literal{Value(false)});
                if (name == "none" || name == "None") return make_expr(where, Literal{Value::none()});
                return make_expr(where, Name{name});
            }
            case TokenKind::String: {
                std::string text;
                while (peek().kind == TokenKind::String)
                    text += next().text;  // 'a' 'b' is 'ab'
                return make_expr(where, Literal{Value(std::move(text))});
            }
            case TokenKind::Integer:
                next();
                return make_expr(where, Literal{Value(token.integer)});
            case TokenKind::Float:
                next();
                return make_expr(where, Literal{Value(token.number)});
            default:
                break;
        }
        if (skip_operator("(")) {
            if (skip_operator(")")) return make_expr(where, ListLiteral{{}, true});
            ExprPtr inner = parse_tuple();
            expect_operator(")");
            return inner;
        }
        if (skip_operator("[")) {
            ListLiteral list;
            while (!at_operator("]")) {
                list.items.push_back(parse_expression());
                if (!skip_operator(",")) break;
            }
            expect_operator("]");
            return make_expr(where, std::move(list));
        }
        if (skip_operator("{")) {
            DictLiteral dict;
            while (!at_operator("}")) {
                ExprPtr key = parse_expression();
                expect_operator(":");
                dict.items.emplace_back(std::move(key), parse_expression());
                if (!skip_operator(",")) break;
            }
            expect_operator("}");
            return make_expr(where, std::move(dict));
        }
        fail_expected("an expression");
    }

    ExprPtr parse_postfix(ExprPtr node) {
        while (true) {
            SourceLocation where = peek().where;
            if (skip_operator(".")) {
                if (peek().kind == TokenKind::Integer) {  // x.0 is x[0]
                    ExprPtr index = make_expr(peek().where, Literal{Value(next().integer)});
                    node = make_expr(where, GetItem{std::move(node), std::move(index)});
                } else {
                    node = make_expr(where,
                                     GetAttr{std::move(node), expect_name("an attribute name after '.'")});
                }
            } else if (skip_operator("[")) {
                node = parse_subscript(std::move(node), where);
            } else if (at_operator("(")) {
                node = make_expr(where, Call{std::move(node), parse_call_arguments()});
            } else {
                return node;
            }
        }
    }

    // After "[": an index, or a slice start:stop:step with any part left out.
    ExprPtr parse_subscript(ExprPtr object, SourceLocation where) {
        ExprPtr start;
        if (!at_operator(":")) {
            start = parse_expression();
            if (skip_operator("]")) return make_expr(where, GetItem{std::move(object), std::move(start)});
        }
        expect_operator(":");
        Slice slice;
        slice.object = std::move(object);
        slice.start = std::move(start);
        if (!at_operator("]") && !at_operator(":")) slice.stop = parse_expression();
        if (skip_operator(":") && !at_operator("]")) slice.step = parse_expression();
        expect_operator("]");
        return make_expr(where, std::move(slice));
    }

    Arguments parse_call_arguments() {
        expect_operator("(");
        Arguments args;
        while (!at_operator(")")) {
            if (at_operator("*") || at_operator("**"))
                throw TemplateError(peek().where, "*args and **kwargs in calls are not supported");
            if (peek().kind == TokenKind::Name && at_operator("=", 1)) {
                std::string name = next().text;
                next();
                args.keyword.emplace_back(std::move(name), parse_expression());
            } else {
                if (!args.keyword.empty())
                    throw TemplateError(peek().where,
                                        "a positional argument cannot follow keyword arguments");
                args.positional.push_back(parse_expression());
            }
            if (!skip_operator(",")) break;
        }
        expect_operator(")");
        return args;
    }

    ExprPtr parse_filters_and_tests(ExprPtr node) {
        while (true) {
            SourceLocation where = peek().where;
            if (skip_operator("|")) {
                FilterCall filter;
                filter.input = std::move(node);
                filter.name = expect_name("a filter name after '|'");
                if (at_operator("(")) filter.args = parse_call_arguments();
                node = make_expr(where, std::move(filter));
            } else if (skip_name("is")) {
                TestCall test;
                test.input = std::move(node);
                test.negated = skip_name("not");
                test.name = expect_name("a test name after 'is', such as 'defined' or 'none'");
                if (at_operator("(")) {
                    test.args = parse_call_arguments();
                } else if (starts_test_argument()) {  // x is divisibleby 3
                    test.args.positional.push_back(parse_postfix(parse_primary()));
                }
                node = make_expr(where, std::move(test));
            } else if (at_operator("(")) {
                node = make_expr(where, Call{std::move(node), parse_call_arguments()});
            } else {
                return node;
            }
        }
    }

    bool starts_test_argument() const {
        const Token& token = peek();
        switch (token.kind) {
            case TokenKind::Name:
                return token.text != "else" && token.text != "or" && token.text != "and";
            case TokenKind::String:
            case TokenKind::Integer:
            case TokenKind::Float:
                return true;
            default:
                return at_operator("[") || at_operator("{");
        }
    }

    const std::vector<Token>& tokens_;
    size_t pos_ = 0;
    int nesting_ = 0;
    int loop_depth_ = 0;
};

}  // namespace

ast::Body parse(const std::vector<Token>& tokens) {
    return Parser(tokens).parse_template();
}

}  // namespace loom::jinja
