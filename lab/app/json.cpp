// JSON form of a lab run: meta, the clause table, and every run with its tallies,
// metrics and curves (the plotting script reads this).
#include <cmath>
#include <sstream>

#include "results.hpp"

namespace syncmap::lab {

namespace {

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(ch) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", ch);
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

std::string number(double v) {
    if (!std::isfinite(v)) return "null";
    std::ostringstream s;
    s.precision(10);
    s << v;
    return s.str();
}

std::string promise_name(promise p) {
    switch (p) {
        case promise::promised: return "promised";
        case promise::not_promised: return "not promised";
        case promise::not_supported: return "not supported";
    }
    return "?";
}

std::string tally_json(const clause_tally& t) {
    std::ostringstream s;
    s << "{\"checks\":" << t.checks << ",\"violations\":" << t.violations << ",\"unknown\":" << t.unknown
      << ",\"item_checks\":" << t.item_checks << ",\"item_violations\":" << t.item_violations << ",\"examples\":[";
    for (std::size_t i = 0; i < t.examples.size(); ++i) s << (i ? "," : "") << quote(t.examples[i]);
    s << "]}";
    return s.str();
}

}  // namespace

std::string to_json(const lab_run& run) {
    std::ostringstream s;
    s << "{\n\"meta\":{\"wall_seconds\":" << number(run.wall_seconds) << ",\"threads\":[";
    for (std::size_t i = 0; i < run.opts.threads.size(); ++i) s << (i ? "," : "") << run.opts.threads[i];
    s << "],\"seconds_per_run\":" << number(run.opts.config.seconds) << ",\"seed\":" << run.opts.config.seed
      << ",\"quick\":" << (run.opts.quick ? "true" : "false")
      << ",\"promised_violations\":" << promised_violations(run) << "},\n";

    s << "\"clauses\":[";
    const auto clauses = shown_clauses(run);
    for (std::size_t i = 0; i < clauses.size(); ++i) s << (i ? "," : "") << quote(std::string(to_string(clauses[i])));
    s << "],\n\"containers\":[\n";
    for (std::size_t ci = 0; ci < run.containers.size(); ++ci) {
        const auto& c = run.containers[ci];
        s << (ci ? ",\n" : "") << "{\"name\":" << quote(c.entry.name) << ",\"origin\":" << quote(c.entry.origin)
          << ",\"description\":" << quote(c.entry.description) << ",\"cells\":{";
        bool first = true;
        for (std::size_t k = 0; k < clause_count; ++k) {
            const cell x = clause_cell(run, c, static_cast<clause>(k));
            s << (first ? "" : ",") << quote(std::string(to_string(static_cast<clause>(k)))) << ":{\"promise\":"
              << quote(promise_name(x.level)) << ",\"text\":" << quote(x.text());
            if (x.tally) s << ",\"tally\":" << tally_json(*x.tally);
            s << "}";
            first = false;
        }
        s << "},\"measurements\":{";
        first = true;
        for (const auto& col : measurement_columns()) {
            if (auto v = measurement(run, c.entry.name, col)) {
                s << (first ? "" : ",") << quote(col.title) << ":" << number(*v);
                first = false;
            }
        }
        s << "}}";
    }
    s << "\n],\n\"runs\":[\n";
    for (std::size_t ri = 0; ri < run.results.size(); ++ri) {
        const auto& r = run.results[ri];
        s << (ri ? ",\n" : "") << "{\"scenario\":" << quote(r.scenario) << ",\"container\":" << quote(r.container)
          << ",\"variant\":" << quote(r.variant) << ",\"threads\":" << r.threads
          << ",\"supported\":" << (r.supported ? "true" : "false") << ",\"note\":" << quote(r.note)
          << ",\"ops\":" << r.ops << ",\"traversals\":" << r.traversals << ",\"seconds\":" << number(r.seconds)
          << ",\"clauses\":{";
        bool first = true;
        for (std::size_t k = 0; k < clause_count; ++k) {
            if (!r.clauses[k]) continue;
            s << (first ? "" : ",") << quote(std::string(to_string(static_cast<clause>(k)))) << ":"
              << tally_json(*r.clauses[k]);
            first = false;
        }
        s << "},\"metrics\":{";
        for (std::size_t i = 0; i < r.metrics.size(); ++i)
            s << (i ? "," : "") << quote(r.metrics[i].first) << ":" << number(r.metrics[i].second);
        s << "},\"curves\":[";
        for (std::size_t i = 0; i < r.curves.size(); ++i) {
            const auto& c = r.curves[i];
            s << (i ? "," : "") << "{\"name\":" << quote(c.name) << ",\"x_label\":" << quote(c.x_label)
              << ",\"y_label\":" << quote(c.y_label) << ",\"x\":[";
            for (std::size_t j = 0; j < c.x.size(); ++j) s << (j ? "," : "") << number(c.x[j]);
            s << "],\"y\":[";
            for (std::size_t j = 0; j < c.y.size(); ++j) s << (j ? "," : "") << number(c.y[j]);
            s << "]}";
        }
        s << "]}";
    }
    s << "\n]\n}\n";
    return s.str();
}

}  // namespace syncmap::lab
