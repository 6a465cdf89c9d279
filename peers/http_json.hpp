// peers/http_json.hpp - just enough HTTP/1.1 and JSON to talk to etcd's JSON gateway from
// the lab: a keep-alive connection that POSTs a body and returns the response body, a JSON
// reader for the replies, and base64 for etcd's byte strings. Loopback only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace syncmap::lab::peers {

class http_connection {
public:
    http_connection(std::string host, int port);
    ~http_connection();
    http_connection(const http_connection&) = delete;
    http_connection& operator=(const http_connection&) = delete;

    // POSTs `body` (application/json) to `path`; returns the body of a 200 response.
    // Throws std::runtime_error on any other status or a broken connection.
    std::string post(const std::string& path, const std::string& body);
    // GETs `path`; returns the body whatever the status (empty if the connection fails).
    std::string get(const std::string& path);

private:
    std::string request(const std::string& head, const std::string& body, int* status);
    void connect();
    std::string host_;
    int port_;
    int fd_ = -1;
    std::string buffer_;  // bytes read past the previous response
};

// A parsed JSON value. Numbers keep their text (etcd sends int64 as strings anyway).
struct json_value {
    enum class type { null, boolean, number, string, array, object } t = type::null;
    bool b = false;
    std::string text;  // number or string
    std::vector<json_value> items;
    std::map<std::string, json_value> fields;

    // The member `name` of an object, or a null value if absent.
    [[nodiscard]] const json_value& operator[](const std::string& name) const;
    [[nodiscard]] std::uint64_t as_u64() const;  // a number or a decimal string; 0 if null
};
json_value parse_json(std::string_view text);  // throws std::runtime_error if malformed

std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);  // throws std::runtime_error if malformed

}  // namespace syncmap::lab::peers
