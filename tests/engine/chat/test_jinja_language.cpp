// The template language itself: whitespace control, expressions, statements and scoping, and the errors that
// malformed templates and failing expressions produce. Expected outputs follow Jinja2's documented behaviour
// with Hugging Face's settings (trim_blocks and lstrip_blocks on) unless a test says otherwise.
#include <QtTest>

#include "chat/jinja/errors.h"
#include "jinja_test_helpers.h"

using namespace loom;
using namespace loom::jinja;
using namespace loom::jinja::testing;

class TestJinjaLanguage : public QObject {
    Q_OBJECT
  private slots:
    void whitespace_data() { columns(); }
    void whitespace() { check(); }
    void expressions_data() { columns(); }
    void expressions() { check(); }
    void statements_data() { columns(); }
    void statements() { check(); }

    void plainJinjaDefaultsKeepNewlines() {
        SyntaxOptions plain;  // Jinja2's own defaults
        plain.trim_blocks = false;
        plain.lstrip_blocks = false;
        QCOMPARE(render("{% if true %}\nyes\n{% endif %}\n", {}, plain), QByteArray("\nyes\n"));
        QCOMPARE(render("  {% if true %}x{% endif %}", {}, plain), QByteArray("  x"));
        SyntaxOptions keep = plain;
        keep.keep_trailing_newline = true;
        QCOMPARE(render("x\n", {}, keep), QByteArray("x\n"));
        QCOMPARE(render("x\n", {}, plain), QByteArray("x"));
    }

    void syntaxErrorsNameLineColumnAndExpectation_data() {
        QTest::addColumn<QByteArray>("source");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("missing operand")
            << QByteArray("{{ 1 + }}")
            << QByteArray("template line 1, column 8: expected an expression but found '}}'");
        QTest::newRow("empty for iterable")
            << QByteArray("text\n{% for x in %}{% endfor %}")
            << QByteArray("template line 2, column 13: expected an expression but found '%}'");
        QTest::newRow("unclosed if")
            << QByteArray("a\n  {% if x %}b")
            << QByteArray(
                   "template line 2, column 3: this {% if %} is never closed: expected "
                   "{% endif %} before the end of the template");
        QTest::newRow("stray endif")
            << QByteArray("{% endif %}")
            << QByteArray(
                   "template line 1, column 1: unexpected {% endif %}: there is no open "
                   "block for it to close");
        QTest::newRow("wrong closing tag")
            << QByteArray("{% for x in y %}{% endif %}")
            << QByteArray(
                   "template line 1, column 17: unexpected {% endif %}: expected {% endfor %} to close the "
                   "innermost open block first");
        QTest::newRow("unknown tag") << QByteArray("{% include 'x.jinja' %}")
                                     << QByteArray("template line 1, column 1: unknown tag 'include'");
        QTest::newRow("unclosed string")
            << QByteArray("{{ 'abc }}")
            << QByteArray("template line 1, column 4: this string is never closed");
        QTest::newRow("unclosed variable")
            << QByteArray("ok {{ x ")
            << QByteArray("template line 1, column 4: this tag is never closed: expected '}}'");
        QTest::newRow("unclosed comment")
            << QByteArray("{# note") << QByteArray("template line 1, column 1: this comment is never closed");
        QTest::newRow("missing filter name")
            << QByteArray("{{ x | }}")
            << QByteArray(
                   "template line 1, column 8: expected a filter name after '|' "
                   "but found '}}'");
        QTest::newRow("bad character")
            << QByteArray("{{ a $ b }}")
            << QByteArray("template line 1, column 6: unexpected character '$' inside a tag");
        QTest::newRow("missing block end")
            << QByteArray("{% if x y %}{% endif %}")
            << QByteArray(
                   "template line 1, column 9: expected '%}' to end the 'if' tag "
                   "but found 'y'");
        QTest::newRow("break outside loop")
            << QByteArray("{% break %}") << QByteArray("{% break %} is only allowed inside a {% for %} loop");
        QTest::newRow("set without value")
            << QByteArray("{% set x, y %}")
            << QByteArray("template line 1, column 13: expected '=' but found '%}'");
        QTest::newRow("nesting bomb")
            << QByteArray("{{ " + QByteArray(500, '(') + "1" + QByteArray(500, ')') + " }}")
            << QByteArray("nested more than 100 levels deep");
    }
    void syntaxErrorsNameLineColumnAndExpectation() {
        QFETCH(QByteArray, source);
        QFETCH(QByteArray, message);
        try {
            Template tmpl(source.toStdString());
            QFAIL("expected a syntax error");
        } catch (const TemplateError& e) {
            QVERIFY2(QByteArray(e.what()).contains(message), e.what());
        }
    }

    void runtimeErrorsAreClear_data() {
        QTest::addColumn<QByteArray>("source");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("unknown filter")
            << QByteArray("{{ x | frobnicate }}")
            << QByteArray("template line 1, column 6: unknown filter 'frobnicate'");
        QTest::newRow("unknown test") << QByteArray("{{ x is frobnicated }}")
                                      << QByteArray("template line 1, column 6: unknown test 'frobnicated'");
        QTest::newRow("calling a string")
            << QByteArray("{% set name = 'x' %}{{ name() }}")
            << QByteArray("'name' is a 'str' value, not a function, so it cannot be called");
        QTest::newRow("calling undefined")
            << QByteArray("{{ nothing() }}") << QByteArray("'nothing' is undefined, so it cannot be called");
        QTest::newRow("attribute of undefined")
            << QByteArray("{{ missing.attr }}")
            << QByteArray("template line 1, column 11: 'missing' is undefined");
        QTest::newRow("text plus number")
            << QByteArray("{{ 'a' + 1 }}")
            << QByteArray(
                   "unsupported operand types for +: 'str' and 'int' (use ~ to join text with other values)");
        QTest::newRow("division by zero") << QByteArray("a\nb\n  {{ 1 // 0 }}")
                                          << QByteArray("template line 3, column 8: division by zero");
        QTest::newRow("integer overflow")
            << QByteArray("{{ 2 ** 100 }}") << QByteArray("integer overflow in **");
        QTest::newRow("set attribute on non-namespace")
            << QByteArray("{% set x = 1 %}{% set x.y = 2 %}")
            << QByteArray(
                   "cannot set attribute 'y' of 'x', which holds a 'int' value: only namespace() objects can "
                   "be "
                   "changed");
        QTest::newRow("unpack mismatch") << QByteArray("{% for a, b in [[1, 2, 3]] %}{% endfor %}")
                                         << QByteArray("expected 2 values to unpack, got 3");
        QTest::newRow("endless macro recursion")
            << QByteArray("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")
            << QByteArray("macro 'f' was called more than 100 levels deep");
        QTest::newRow("values nested in a loop")
            << QByteArray(
                   "{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor "
                   "%}")
            << QByteArray("lists and dicts nested more than 500 levels deep");
        QTest::newRow("namespace holding itself")
            << QByteArray("{% set ns = namespace() %}{% set ns.me = [ns] %}")
            << QByteArray("namespace attribute 'me' cannot hold another namespace");
        QTest::newRow("namespace holding another")
            << QByteArray("{{ namespace(inner=namespace()) }}")
            << QByteArray("namespace attribute 'inner' cannot hold another namespace");
        QTest::newRow("huge range") << QByteArray("{{ range(1000000) | length }}")
                                    << QByteArray("range() with more than 100000 items is refused");
        QTest::newRow("huge string") << QByteArray("{{ 'x' * 1000000000000 }}")
                                     << QByteArray("would make more than 64 MiB");
        QTest::newRow("too many arguments") << QByteArray("{{ 'a'.strip('x', 'y') }}")
                                            << QByteArray("strip() takes at most 1 argument (2 given)");
        QTest::newRow("unknown keyword") << QByteArray("{{ [1] | join(sep=',') }}")
                                         << QByteArray("filter 'join' has no parameter named 'sep'");
        QTest::newRow("iterating a number") << QByteArray("{% for x in 3 %}{% endfor %}")
                                            << QByteArray("'int' values cannot be iterated over");
    }
    void runtimeErrorsAreClear() {
        QFETCH(QByteArray, source);
        QFETCH(QByteArray, message);
        QByteArray error = render_error(source);
        QVERIFY2(error.contains(message), error.constData());
    }

    void raiseExceptionPassesTheTemplatesMessageVerbatim() {
        try {
            render("{% if true %}{{ raise_exception('Roles must alternate!') }}{% endif %}");
            QFAIL("expected the template to raise");
        } catch (const TemplateRaised& e) {
            QCOMPARE(QByteArray(e.what()), QByteArray("Roles must alternate!"));
        }
    }

    void outputIsCapped() {
        RenderOptions options;
        options.max_output_bytes = 100;
        QVERIFY(render_error("{% for i in range(20) %}0123456789{% endfor %}", {}, options)
                    .contains("output grew beyond 100 bytes"));
        QCOMPARE(render("{% for i in range(10) %}0123456789{% endfor %}", {}, {}, options).size(), 100);
    }

    void longLoopsAreCapped() {
        RenderOptions options;
        options.max_steps = 1000;
        QVERIFY(render_error("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", {},
                             options)
                    .contains("the template ran more than 1000 steps"));
        QCOMPARE(render("{% for i in range(10) %}{% for j in range(10) %}{% endfor %}{% endfor %}x", {}, {},
                        options),
                 QByteArray("x"));
    }

  private:
    static void columns() {
        QTest::addColumn<QByteArray>("source");
        QTest::addColumn<QByteArray>("variables");
        QTest::addColumn<QByteArray>("expected");
        const char* tag = QTest::currentTestFunction();
        if (qstrcmp(tag, "whitespace") == 0) whitespace_rows();
        if (qstrcmp(tag, "expressions") == 0) expression_rows();
        if (qstrcmp(tag, "statements") == 0) statement_rows();
    }

    static void check() {
        QFETCH(QByteArray, source);
        QFETCH(QByteArray, variables);
        QFETCH(QByteArray, expected);
        QCOMPARE(render(source, variables), expected);
    }

    static void row(const char* name, const char* source, const char* expected, const char* variables = "") {
        QTest::newRow(name) << QByteArray(source) << QByteArray(variables) << QByteArray(expected);
    }

    static void whitespace_rows() {
        row("trim_blocks drops the newline after a block", "{% if true %}\nyes\n{% endif %}\n", "yes\n");
        row("lstrip_blocks drops a block's indentation", "a\n    {% if true %}\n    b\n    {% endif %}\nc",
            "a\n    b\nc");
        row("lstrip_blocks at the template start", "  {% if true %}x{% endif %}", "x");
        row("lstrip_blocks leaves text before a block", "a {% if true %}x{% endif %}", "a x");
        row("variables are not lstripped", "  {{ 'x' }}\n", "  x");
        row("newline after a variable stays", "{{ 'x' }}\n{{ 'y' }}", "x\ny");
        row("minus strips all whitespace", "a  \n {{- 'b' -}} \n\n c", "abc");
        row("minus on blocks", "a\n\n{%- if true -%}\n\n b{% endif %}", "ab");
        row("plus keeps indentation", "  {%+ if true %}x{% endif %}", "  x");
        row("plus keeps the newline", "{% if true +%}\nx{% endif %}", "\nx");
        row("comments vanish", "a {# note #} b", "a  b");
        row("comments are trimmed like blocks", "  {# note #}\nx", "x");
        row("comment with minus", "a {#- note -#} b", "ab");
        row("raw blocks keep tags as text", "{% raw %}{{ not evaluated }}{% endraw %}",
            "{{ not evaluated }}");
        row("windows line endings", "a\r\nb\rc", "a\nb\nc");
        row("closing braces inside strings", "{{- \"}}\" }}{{ {'a': {'b': 1}} }}", "}}{'a': {'b': 1}}");
    }

    static void expression_rows() {
        row("precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}", "7 9 64 4");
        row("python integer division and modulo",
            "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }}", "3 -4 1 2 3.5");
        row("floats print as python does", "{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 10 / 4 }} {{ 2.5e-5 }}",
            "1.0 0.30000000000000004 1e+20 2.5 2.5e-05");
        row("concatenation with ~", "{{ 'a' ~ 1 ~ none ~ true }}", "a1NoneTrue");
        row("repetition and list addition", "{{ 'ab' * 3 }} {{ [1, 2] + [3] }}", "ababab [1, 2, 3]");
        row("literals print as python reprs",
            "{{ {'a': 1, 'b': [true, none, 'x']} }} {{ (1, 'a') }} {{ (1,) }}",
            "{'a': 1, 'b': [True, None, 'x']} (1, 'a') (1,)");
        row("string escapes", "{{ 'a\\tb' }}|{{ \"it's\" }}|{{ 'a' \"b\" }}|{{ '\\u00e9\\x41' }}",
            "a\tb|it's|ab|\xC3\xA9"
            "A");
        row("chained comparisons",
            "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' != 'b' }}",
            "True False True True True");
        row("and/or return an operand", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ none or [] }} {{ not [] }}",
            "x b [] True");
        row("membership", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }}",
            "True True True True");
        row("inline if", "{{ 'y' if 1 else 'n' }}{{ 'y' if 0 else 'n' }}[{{ 'y' if 0 }}]", "yn[]");
        row("filters bind tighter than +", "{{ 'a' + ' b ' | trim }}", "ab");
        row("not applies to the whole test", "{{ not missing is defined }}", "True");
        row("test argument without parentheses", "{{ 6 is divisibleby 3 }} {{ 'a' is not equalto 'b' }}",
            "True True");
        row("subscripts and slices",
            "{{ xs[1:] }} {{ xs[:-2] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[-1] }} {{ xs.0 }}",
            "[2, 3, 4, 5] [1, 2, 3] [5, 4, 3, 2, 1] [1, 3, 5] 5 1", "{\"xs\": [1, 2, 3, 4, 5]}");
        row("strings index by code point", "{{ s[1:3] }} {{ s[1] }} {{ s[-1] }}", "\xC3\xA9l \xC3\xA9 o",
            "{\"s\": \"h\xC3\xA9llo\"}");
        row("attribute and key access",
            "{{ m.role }} {{ m['role'] }} {{ m['items'] }} {{ m.items is callable }}", "user user 3 True",
            "{\"m\": {\"role\": \"user\", \"items\": 3}}");
        row("missing keys and indices are undefined",
            "[{{ m.missing }}] {{ m.missing is defined }} {{ [1][5] is defined }}", "[] False False",
            "{\"m\": {}}");
        row("none and undefined print", "[{{ none }}][{{ missing }}][{{ true }}]", "[None][][True]");
        row("undefined is falsy and empty",
            "{{ missing | default('d') }}{{ missing | length }}{{ missing is none }}", "d0False");
    }

    static void statement_rows() {
        row("loop variables",
            "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ x }}"
            "{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
            "10aTrueFalse3;21bFalseFalse3;32cFalseTrue3;");
        row("revindex and neighbours",
            "{% for x in [1, 2, 3] %}{{ loop.revindex }}{{ loop.previtem is defined }}"
            "{{ loop.nextitem | default('-') }} {% endfor %}",
            "3False2 2True3 1True- ");
        row("for else", "{% for x in [] %}x{% else %}empty{% endfor %}", "empty");
        row("for with a filter", "{% for x in range(10) if x is odd %}{{ x }}{{ loop.length }} {% endfor %}",
            "15 35 55 75 95 ");
        row("unpacking dict items", "{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}", "a=1,b=2,",
            "{\"d\": {\"a\": 1, \"b\": 2}}");
        row("iterating a dict gives keys", "{% for k in d %}{{ k }}{% endfor %}", "ab",
            "{\"d\": {\"a\": 1, \"b\": 2}}");
        row("break and continue",
            "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}"
            "{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
            "013");
        row("nested loops shadow loop",
            "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{% endfor %}"
            "{{ loop.index }}{% endfor %}",
            "121122");
        row("loop.cycle", "{% for x in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}", "aba");
        row("elif and else",
            "{% for n in [1, 2, 3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many"
            "{% endif %} {% endfor %}",
            "one two many ");
        row("set inside a loop stays in the loop",
            "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}"
            "{% endfor %}{{ x }}",
            "21");
        row("set inside if is visible after it", "{% if true %}{% set x = 5 %}{% endif %}{{ x }}", "5");
        row("each iteration starts afresh",
            "{% for i in [1, 2] %}{% if i == 2 %}{{ seen is defined }}{% endif %}"
            "{% set seen = 1 %}{% endfor %}",
            "False");
        row("namespace carries values out of loops",
            "{% set ns = namespace(total=0) %}{% for i in range(4) %}"
            "{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}",
            "6");
        row("empty namespace then attributes",
            "{% set ns = namespace() %}{% set ns.index = 0 %}"
            "{% set ns.index = ns.index + 1 %}{{ ns.index }}",
            "1");
        row("tuple assignment", "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "12");
        row("block set", "{% set greeting %}Hello {{ name }}{% endset %}[{{ greeting }}]", "[Hello World]",
            "{\"name\": \"World\"}");
        row("template variables can be reassigned",
            "{% set messages = messages[1:] %}{{ messages | length }}", "2", "{\"messages\": [1, 2, 3]}");
        row("macros with defaults and keywords",
            "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}"
            "{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', punct='?') }}",
            "Hi Ann! Hi Bob?");
        row("recursive macro",
            "{% macro count(n) %}{{ n }}{% if n > 0 %}{{ count(n - 1) }}{% endif %}{% endmacro %}"
            "{{ count(3) }}",
            "3210");
        row("generation marker renders its content", "{% generation %}answer{% endgeneration %}", "answer");
    }
};

QTEST_APPLESS_MAIN(TestJinjaLanguage)
#include "test_jinja_language.moc"
