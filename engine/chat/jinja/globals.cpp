// The functions templates can call by name: Jinja's range, dict and namespace, and the two Hugging Face adds,
// raise_exception (a template refusing a conversation) and strftime_now (today's date, for Llama 3.2).
#include <chrono>
#include <ctime>

#include "chat/jinja/builtins.h"

namespace loom::jinja {

namespace {

// Jinja's sandbox refuses longer ranges; so do we, so a template cannot loop for hours.
constexpr int64_t kMaxRange = 100000;

Value range(const CallArgs& args) {
    if (!args.keyword.empty()) fail("range() takes no keyword arguments");
    std::vector<int64_t> bounds;
    for (const Value& v : args.positional) {
        if (v.kind() != Value::Kind::Int && v.kind() != Value::Kind::Bool)
            fail("range() needs integers, not ", v.type_name());
        bounds.push_back(v.kind() == Value::Kind::Bool ? v.as_bool() : v.as_int());
    }
    if (bounds.empty() || bounds.size() > 3)
        fail("range() takes 1 to 3 arguments (", bounds.size(), " given)");
    int64_t start = bounds.size() == 1 ? 0 : bounds[0];
    int64_t stop = bounds.size() == 1 ? bounds[0] : bounds[1];
    int64_t step = bounds.size() == 3 ? bounds[2] : 1;
    if (step == 0) fail("range() step cannot be zero");
    std::vector<Value> items;
    for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
        if (static_cast<int64_t>(items.size()) >= kMaxRange)
            fail("range() with more than ", kMaxRange, " items is refused");
        items.emplace_back(i);
        if (__builtin_add_overflow(i, step, &i)) break;
    }
    return Value::list(std::move(items));
}

// dict(**kwargs) and namespace(**kwargs) also accept one dict to start from.
Dict dict_from_arguments(std::string_view callee, const CallArgs& args) {
    Dict out;
    if (args.positional.size() > 1) fail(callee, "() takes at most one positional argument");
    if (args.positional.size() == 1) {
        const Value& initial = args.positional[0];
        if (initial.kind() != Value::Kind::Dict) fail(callee, "() needs a dict as its positional argument");
        for (const auto& [key, value] : initial.as_dict().entries())
            out.set(key, value);
    }
    for (const auto& [key, value] : args.keyword)
        out.set(key, value);
    return out;
}

std::tm broken_down(const RenderOptions& options) {
    std::tm time{};
    if (!options.now) {
        std::time_t now = std::time(nullptr);
        localtime_r(&now, &time);
        return time;
    }
    using namespace std::chrono;
    local_days day = floor<days>(*options.now);
    year_month_day date{day};
    hh_mm_ss<seconds> clock{*options.now - day};
    time.tm_year = static_cast<int>(date.year()) - 1900;
    time.tm_mon = static_cast<int>(static_cast<unsigned>(date.month())) - 1;
    time.tm_mday = static_cast<int>(static_cast<unsigned>(date.day()));
    time.tm_hour = static_cast<int>(clock.hours().count());
    time.tm_min = static_cast<int>(clock.minutes().count());
    time.tm_sec = static_cast<int>(clock.seconds().count());
    time.tm_wday = static_cast<int>(weekday{day}.c_encoding());
    time.tm_yday = static_cast<int>((day - local_days{date.year() / January / 1}).count());
    return time;
}

}  // namespace

std::string format_time(std::string_view format, const std::tm& time) {
    static constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};
    static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                              "May",       "June",     "July",     "August",
                                              "September", "October",  "November", "December"};
    auto two = [](int v) { return cat(v < 10 ? "0" : "", v); };
    const char* day = kDays[((time.tm_wday % 7) + 7) % 7];
    const char* month = kMonths[((time.tm_mon % 12) + 12) % 12];
    int year = time.tm_year + 1900;
    int hour12 = time.tm_hour % 12 == 0 ? 12 : time.tm_hour % 12;
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 == format.size()) {
            out += format[i];
            continue;
        }
        char directive = format[++i];
        switch (directive) {
            case 'a':
                out += std::string(day, 3);
                break;
            case 'A':
                out += day;
                break;
            case 'b':
            case 'h':
                out += std::string(month, 3);
                break;
            case 'B':
                out += month;
                break;
            case 'd':
                out += two(time.tm_mday);
                break;
            case 'e':
                out += cat(time.tm_mday < 10 ? " " : "", time.tm_mday);
                break;
            case 'm':
                out += two(time.tm_mon + 1);
                break;
            case 'y':
                out += two(((year % 100) + 100) % 100);
                break;
            case 'Y':
                out += std::to_string(year);
                break;
            case 'H':
                out += two(time.tm_hour);
                break;
            case 'I':
                out += two(hour12);
                break;
            case 'M':
                out += two(time.tm_min);
                break;
            case 'S':
                out += two(time.tm_sec);
                break;
            case 'p':
                out += time.tm_hour < 12 ? "AM" : "PM";
                break;
            case 'j':
                out += cat(time.tm_yday + 1 < 100 ? "0" : "", time.tm_yday + 1 < 10 ? "0" : "",
                           time.tm_yday + 1);
                break;
            case 'w':
                out += std::to_string(time.tm_wday);
                break;
            case 'F':
                out += cat(year, "-", two(time.tm_mon + 1), "-", two(time.tm_mday));
                break;
            case 'D':
                out +=
                    cat(two(time.tm_mon + 1), "/", two(time.tm_mday), "/", two(((year % 100) + 100) % 100));
                break;
            case 'T':
                out += cat(two(time.tm_hour), ":", two(time.tm_min), ":", two(time.tm_sec));
                break;
            case 'n':
                out += '\n';
                break;
            case 't':
                out += '\t';
                break;
            case '%':
                out += '%';
                break;
            default:
                fail("strftime_now() does not know the directive %", directive);
        }
    }
    return out;
}

Dict global_functions(const RenderOptions& options) {
    Dict globals;
    globals.set("range", Value::function("range", range));
    globals.set("dict", Value::function("dict", [](const CallArgs& args) {
                    return Value::dict(dict_from_arguments("dict", args));
                }));
    globals.set("namespace", Value::function("namespace", [](const CallArgs& args) {
                    return Value::make_namespace(dict_from_arguments("namespace", args));
                }));
    globals.set("raise_exception", Value::function("raise_exception", [](const CallArgs& args) -> Value {
                    ArgumentBinder a("raise_exception()", args, {"message"}, 1);
                    throw TemplateRaised(a.get(0)->str());
                }));
    globals.set("strftime_now", Value::function("strftime_now", [options](const CallArgs& args) {
                    ArgumentBinder a("strftime_now()", args, {"format"}, 1);
                    return Value(format_time(a.string(0), broken_down(options)));
                }));
    return globals;
}

}  // namespace loom::jinja
