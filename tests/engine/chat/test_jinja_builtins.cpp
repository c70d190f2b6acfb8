// Filters, tests, string and dict methods, global functions and value printing, each checked against what
// Python's Jinja2 prints for the same template (and, for tojson, Hugging Face's json.dumps-based override).
#include <QtTest>

#include <ctime>

#include "chat/jinja/value.h"
#include "jinja_test_helpers.h"

using namespace loom;
using namespace loom::jinja;
using namespace loom::jinja::testing;

namespace {

// Messages and tools shaped like the ones chat templates receive.
const char* kConversation =
    "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": "
    "\"hi\"},"
    " {\"role\": \"assistant\", \"content\": \"\"}, {\"role\": \"user\", \"content\": \"yo\"}],"
    " \"people\": [{\"n\": \"A\", \"age\": 30}, {\"n\": \"b\", \"age\": 25}],"
    " \"d\": {\"a\": 1, \"b\": 2},"
    " \"v\": {\"b\": 1, \"a\": [1.5, \"\xC3\xA9\\\"\\n\", true, null]}}";

}  // namespace

class TestJinjaBuiltins : public QObject {
    Q_OBJECT
  private slots:
    void filters_data() { columns(); }
    void filters() { check(); }
    void tests_data() { columns(); }
    void tests() { check(); }
    void methods_data() { columns(); }
    void methods() { check(); }
    void globals_data() { columns(); }
    void globals() { check(); }

    void strftimeNowFormatsTheGivenTime() {
        RenderOptions options;
        using namespace std::chrono;
        options.now = local_days{year{2024} / 7 / 26} + hours{14} + minutes{5} + seconds{9};
        QCOMPARE(render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|"
                        "{{ strftime_now('%A %B %a %I%p day %j, %e') }}",
                        {}, {}, options),
                 QByteArray("26 Jul 2024|2024-07-26 14:05:09|Friday July Fri 02PM day 208, 26"));
        options.now = local_days{year{2025} / 3 / 5};
        QCOMPARE(render("{{ strftime_now('%d %b %Y %H:%M') }}", {}, {}, options),
                 QByteArray("05 Mar 2025 00:00"));
        QVERIFY(
            render_error("{{ strftime_now('%Q') }}", {}, options).contains("does not know the directive %Q"));
    }

    void strftimeNowDefaultsToTheClock() {
        std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        int year = local.tm_year + 1900;
        int rendered = render("{{ strftime_now('%Y') }}").toInt();
        QVERIFY(rendered == year || rendered == year + 1);  // tolerate New Year's Eve at midnight
    }

    void floatsPrintLikePython() {
        QCOMPARE(python_float_repr(1.0), std::string("1.0"));
        QCOMPARE(python_float_repr(0.1), std::string("0.1"));
        QCOMPARE(python_float_repr(-2.5), std::string("-2.5"));
        QCOMPARE(python_float_repr(1e16), std::string("1e+16"));
        QCOMPARE(python_float_repr(1e15), std::string("1000000000000000.0"));
        QCOMPARE(python_float_repr(1.5e-5), std::string("1.5e-05"));
        QCOMPARE(python_float_repr(0.0001), std::string("0.0001"));
        QCOMPARE(python_float_repr(123456789.125), std::string("123456789.125"));
        QCOMPARE(python_float_repr(1.0 / 3.0), std::string("0.3333333333333333"));
    }

  private:
    static void columns() {
        QTest::addColumn<QByteArray>("source");
        QTest::addColumn<QByteArray>("expected");
        const char* tag = QTest::currentTestFunction();
        if (qstrcmp(tag, "filters") == 0) filter_rows();
        if (qstrcmp(tag, "tests") == 0) test_rows();
        if (qstrcmp(tag, "methods") == 0) method_rows();
        if (qstrcmp(tag, "globals") == 0) global_rows();
    }

    static void check() {
        QFETCH(QByteArray, source);
        QFETCH(QByteArray, expected);
        QCOMPARE(render(source, kConversation), expected);
    }

    static void row(const char* name, const char* source, const char* expected) {
        QTest::newRow(name) << QByteArray(source) << QByteArray(expected);
    }

    static void filter_rows() {
        row("trim", "[{{ '  a b \\n' | trim }}][{{ 'xxaxx' | trim('x') }}]", "[a b][a]");
        row("length and count", "{{ 'h\xC3\xA9llo' | length }} {{ [1, 2] | count }} {{ d | length }}",
            "5 2 2");
        row("case",
            "{{ 'hello world' | upper }} {{ 'HeLLo' | lower }} {{ 'hello WORLD' | capitalize }} "
            "{{ 'hello big-world' | title }}",
            "HELLO WORLD hello Hello world Hello Big-World");
        row("tojson on one line", "{{ v | tojson }}",
            "{\"b\": 1, \"a\": [1.5, \"\xC3\xA9\\\"\\n\", true, null]}");
        row("tojson indented", "{{ v | tojson(indent=2) }}",
            "{\n  \"b\": 1,\n  \"a\": [\n    1.5,\n    \"\xC3\xA9\\\"\\n\",\n    true,\n    null\n  ]\n}");
        row("tojson sorted, ascii, separators",
            "{{ v | tojson(sort_keys=true, ensure_ascii=true, separators=(',', ':')) }}",
            "{\"a\":[1.5,\"\\u00e9\\\"\\n\",true,null],\"b\":1}");
        row("tojson does not escape html", "{{ {'x': '<tag>&\\''} | tojson }}", "{\"x\": \"<tag>&'\"}");
        row("tojson of empty containers and strings",
            "{{ [] | tojson }} {{ {} | tojson(indent=4) }} {{ 'a' | tojson }}", "[] {} \"a\"");
        row("default",
            "[{{ missing | default('x') }}][{{ '' | default('x') }}][{{ '' | default('x', true) }}]"
            "[{{ none | d('y', boolean=true) }}][{{ none | default('z') }}]",
            "[x][][x][y][None]");
        row("join",
            "{{ ['a', 'b'] | join(', ') }} {{ [1, 2] | join }} {{ people | join('/', attribute='n') }}",
            "a, b 12 A/b");
        row("first, last, list",
            "{{ [1, 2, 3] | first }}{{ [1, 2, 3] | last }}{{ 'abc' | first }}{{ 'ab' | list }}"
            "{{ [] | first is defined }}",
            "13a['a', 'b']False");
        row("map",
            "{{ people | map(attribute='n') | list }} {{ ['a', 'b'] | map('upper') | join }} "
            "{{ people | map(attribute='x', default='?') | join }}",
            "['A', 'b'] AB ??");
        row("selectattr and rejectattr",
            "{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }} "
            "{{ messages | rejectattr('role', 'equalto', 'user') | list | length }} "
            "{{ messages | selectattr('content') | list | length }}",
            "hi,yo 2 3");
        row("select and reject",
            "{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} "
            "{{ ['brave_search', 'code_interpreter'] | reject('equalto', 'code_interpreter') | join }}",
            "[1, 3] [2, 4] brave_search");
        row("replace", "{{ 'aaa' | replace('a', 'b', 2) }} {{ 'hello' | replace('l', 'L') }}", "bba heLLo");
        row("conversions",
            "{{ '<b>' | safe }} {{ 12 | string ~ 'x' }} {{ '42' | int + 1 }} {{ '4.7' | int }} "
            "{{ 'x' | int }} {{ 'x' | int(7) }} {{ '2.5' | float }} {{ 3 | float }} {{ 'ff' | int(base=16) "
            "}}",
            "<b> 12x 43 4 0 7 2.5 3.0 255");
        row("items", "{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %} {{ missing | items | list }}",
            "a1b2 []");
        row("sorting",
            "{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} "
            "{{ people | sort(attribute='age') | map(attribute='n') | join }} {{ d | dictsort }}",
            "[1, 2, 3] ['A', 'b', 'c'] [3, 2, 1] bA [('a', 1), ('b', 2)]");
        row("reverse and unique",
            "{{ 'abc' | reverse }} {{ [1, 2] | reverse | list }} {{ ['a', 'A', 'b'] | unique | list }}",
            "cba [2, 1] ['a', 'b']");
        row("numbers",
            "{{ [1, 2, 3] | sum }} {{ people | sum(attribute='age') }} {{ [4, 2, 8] | min }}{{ [4, 2, 8] | "
            "max }} "
            "{{ -3 | abs }} {{ -2.5 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }} "
            "{{ 2.1 | round(method='ceil') }}",
            "6 55 28 3 2.5 2.57 2.0 4.0 3.0");
        row("indent",
            "{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent('> ', "
            "blank=true) }}",
            "a\n  b\n\n  c|  a\n  b|a\n> \n> b");
    }

    static void test_rows() {
        row("types",
            "{{ none is none }}{{ 1 is number }}{{ 1.5 is float }}{{ 1 is integer }}{{ true is integer }}"
            "{{ 'a' is string }}{{ d is mapping }}{{ [] is mapping }}{{ true is boolean }}{{ range is "
            "callable }}",
            "TrueTrueTrueTrueFalseTrueTrueFalseTrueTrue");
        row("iterable and sequence",
            "{{ [] is iterable }}{{ 'a' is iterable }}{{ d is iterable }}{{ 3 is iterable }}"
            "{{ [] is sequence }}{{ missing is iterable }}",
            "TrueTrueTrueFalseTrueTrue");
        row("defined",
            "{{ missing is defined }}{{ missing is undefined }}{{ d is defined }}{{ d.a is defined }}"
            "{{ d.z is defined }}{{ none is defined }}",
            "FalseTrueTrueTrueFalseTrue");
        row("numbers", "{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}",
            "TrueTrueTrueFalse");
        row("comparisons",
            "{{ 2 is equalto 2 }}{{ 2 is eq(3) }}{{ 2 is lt 3 }}{{ 2 is ge 3 }}{{ 'a' is in 'cat' }}"
            "{{ 2 is ne 3 }}",
            "TrueFalseTrueFalseTrueTrue");
        row("case and identity",
            "{{ 'AB' is upper }}{{ 'ab' is lower }}{{ 1 is sameas true }}{{ true is sameas true }}"
            "{{ none is sameas none }}{{ true is true }}{{ 1 is true }}{{ false is false }}",
            "TrueTrueFalseTrueTrueTrueFalseTrue");
        row("negated", "{{ 1 is not none }}{{ missing is not defined }}", "TrueTrue");
    }

    static void method_rows() {
        row("strip",
            "[{{ '  x  '.strip() }}][{{ 'xxhixx'.strip('x') }}][{{ '  x '.lstrip() }}][{{ ' x  '.rstrip() }}]"
            "[{{ '\\u3000x\\t'.strip() }}]",
            "[x][hi][x ][ x][x]");
        row("affixes",
            "{{ 'hello'.startswith('he') }}{{ 'hello'.endswith('lo') }}{{ 'hello'.startswith(('x', 'h')) }}"
            "{{ 'hello'.endswith('x') }}",
            "TrueTrueTrueFalse");
        row("split",
            "{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ ' a b "
            "'.split(none, 1) }}",
            "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a', 'b ']");
        row("splitlines", "{{ 'a\\nb\\r\\nc\\n'.splitlines() }}", "['a', 'b', 'c']");
        row("case",
            "{{ 'Hi'.upper() }} {{ 'Hi'.lower() }} {{ \"they're bill's\".title() }} {{ 'hELLO'.capitalize() "
            "}}",
            "HI hi They'Re Bill'S Hello");
        row("search and replace",
            "{{ 'abcb'.replace('b', 'B') }} {{ 'abcb'.replace('b', 'B', 1) }} {{ 'h\xC3\xA9llo'.find('l') }} "
            "{{ 'x'.find('y') }} {{ 'banana'.count('an') }}",
            "aBcB aBcb 2 -1 2");
        row("join", "{{ ', '.join(['a', 'b']) }}", "a, b");
        row("dict methods",
            "{{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} "
            "{{ d.get('z', 'none') }} {{ d.get('z') }}",
            "[('a', 1), ('b', 2)] ['a', 'b'] [1, 2] 1 none None");
        row("methods chain", "{{ '  A-b  '.strip().lower().split('-') | join('+') }}", "a+b");
    }

    static void global_rows() {
        row("range",
            "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(3, 0, -1) | list }} {{ range(0) | "
            "list }}",
            "[0, 1, 2] [1, 3, 5] [3, 2, 1] []");
        row("dict", "{{ dict(a=1, b='x') }} {{ dict(d, c=3) }}",
            "{'a': 1, 'b': 'x'} {'a': 1, 'b': 2, 'c': 3}");
        row("namespace",
            "{% set ns = namespace(d, found=false) %}{{ ns.a }}{{ ns.found }}{{ ns.z is defined }}",
            "1FalseFalse");
        row("python reprs", "{{ [\"it's\", 'a\\nb', 1.5, none] }}", "[\"it's\", 'a\\nb', 1.5, None]");
    }
};

QTEST_APPLESS_MAIN(TestJinjaBuiltins)
#include "test_jinja_builtins.moc"
