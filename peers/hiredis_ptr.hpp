// peers/hiredis_ptr.hpp - owners for hiredis objects: a reply freed with freeReplyObject,
// a connection freed with redisFree.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>

namespace syncmap::lab::peers {

struct reply_deleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

struct context_deleter {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;

}  // namespace syncmap::lab::peers
