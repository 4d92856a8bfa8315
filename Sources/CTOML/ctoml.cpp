// toml++ behind the C API of ctoml.h. Everything thrown inside stays inside: the caller gets a status.
//
// toml++ 3.x checks some of its parser's assumptions only with TOML_ASSERT, and in a build with NDEBUG turns them
// into __builtin_assume: invalid text that breaks one (found by fuzzing: `[#`, `x = [}`, `x = 1979-05-27T:`)
// aborts a debug build and is undefined behaviour in a release build. TOML_ASSERT is toml++'s documented hook,
// so it is defined here to throw instead, and NDEBUG is undefined so that toml++ keeps it. A broken assumption
// is then a syntax error at the code point the parser was looking at.

#undef NDEBUG

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ctoml_detail {

struct broken_assumption {
    uint32_t line = 0;
    uint32_t column = 0;
    char32_t found = 0;
    std::string_view scope;
};

template <typename T, typename = void>
struct has_position : std::false_type {};
template <typename T>
struct has_position<T, std::void_t<decltype(std::declval<T>()->position.line)>> : std::true_type {};

// `at` is toml++'s parser's current code point (`cp`, a pointer, null at the end of the text) and `scope` what it
// is parsing (`current_scope`); elsewhere in toml++ the stand-ins below, and only the failure itself is known.
template <typename At, typename Scope>
[[noreturn]] void broken(const At &at, const Scope &scope) {
    broken_assumption error;
    if constexpr (has_position<At>::value) {
        if (at) {
            error.line = at->position.line;
            error.column = at->position.column;
            error.found = at->value;
        }
    }
    if constexpr (std::is_convertible_v<Scope, std::string_view>) error.scope = scope;
    throw error;
}

struct no_code_point {};

}  // namespace ctoml_detail

// Stand-ins, found by name lookup only where toml++ has no `cp` or `current_scope` of its own.
static constexpr ctoml_detail::no_code_point cp{};
static constexpr ctoml_detail::no_code_point current_scope{};

#define TOML_ASSERT(expr) ((expr) ? static_cast<void>(0) : ::ctoml_detail::broken(cp, current_scope))
#define TOML_EXCEPTIONS 1
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#define TOML_ENABLE_WINDOWS_COMPAT 0
#include <toml++/toml.h>

#include "ctoml.h"

namespace {

char *copy_text(std::string_view text) {
    auto *copy = static_cast<char *>(std::malloc(text.size() + 1));
    if (!copy) throw std::bad_alloc();
    std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
    return copy;
}

/// The document as ctoml_nodes, depth first, without recursion: toml++ accepts tables nested as deep as the
/// text has dotted keys, and a walk must not run out of stack where the parser did not.
class flattener {
  public:
    std::vector<ctoml_node> nodes;
    std::string strings;

    explicit flattener(const toml::table &root) {
        emit(root, nullptr);
        std::vector<frame> stack{frame(0, root)};
        while (!stack.empty()) {
            frame &top = stack.back();
            const toml::node *child = nullptr;
            const toml::key *key = nullptr;
            if (top.table && top.next_entry != top.table->cend()) {
                key = &top.next_entry->first;
                child = &top.next_entry->second;
                ++top.next_entry;
            } else if (top.array && top.next_element < top.array->size()) {
                child = &(*top.array)[top.next_element++];
            }
            if (!child) {
                nodes[top.index].descendants = nodes.size() - top.index - 1;
                stack.pop_back();
                continue;
            }
            size_t index = emit(*child, key);
            if (child->is_table() || child->is_array()) stack.push_back(frame(index, *child));
        }
    }

  private:
    struct frame {
        size_t index;
        const toml::table *table;
        toml::table::const_iterator next_entry;
        const toml::array *array;
        size_t next_element = 0;

        frame(size_t index, const toml::node &node) : index(index), table(node.as_table()), array(node.as_array()) {
            if (table) next_entry = table->cbegin();
        }
    };

    size_t add_string(std::string_view text) {
        size_t offset = strings.size();
        strings.append(text);
        return offset;
    }

    size_t emit(const toml::node &value, const toml::key *key) {
        ctoml_node node{};
        node.line = value.source().begin.line;
        node.column = value.source().begin.column;
        if (key) {
            node.key_offset = add_string(key->str());
            node.key_length = key->str().size();
            node.key_line = key->source().begin.line;
            node.key_column = key->source().begin.column;
        }
        switch (value.type()) {
            case toml::node_type::table:
                node.kind = CTOML_TABLE;
                node.count = static_cast<uint32_t>(value.as_table()->size());
                break;
            case toml::node_type::array:
                node.kind = CTOML_ARRAY;
                node.count = static_cast<uint32_t>(value.as_array()->size());
                break;
            case toml::node_type::string: {
                const std::string &text = value.as_string()->get();
                node.kind = CTOML_STRING;
                node.string_offset = add_string(text);
                node.string_length = text.size();
                break;
            }
            case toml::node_type::integer:
                node.kind = CTOML_INTEGER;
                node.integer = value.as_integer()->get();
                break;
            case toml::node_type::floating_point:
                node.kind = CTOML_FLOAT;
                node.floating = value.as_floating_point()->get();
                break;
            case toml::node_type::boolean:
                node.kind = CTOML_BOOLEAN;
                node.integer = value.as_boolean()->get() ? 1 : 0;
                break;
            default:
                node.kind = CTOML_DATE_TIME;
                break;
        }
        nodes.push_back(node);
        return nodes.size() - 1;
    }
};

ctoml_document parse(const char *text, size_t length) {
    ctoml_document document{};
    try {
        toml::table root = toml::parse(std::string_view(text, length));
        flattener flat(root);
        document.nodes = static_cast<ctoml_node *>(std::malloc(flat.nodes.size() * sizeof(ctoml_node)));
        document.strings = static_cast<char *>(std::malloc(flat.strings.size() + 1));
        if (!document.nodes || !document.strings) {
            ctoml_free(&document);
            throw std::bad_alloc();
        }
        std::memcpy(document.nodes, flat.nodes.data(), flat.nodes.size() * sizeof(ctoml_node));
        std::memcpy(document.strings, flat.strings.data(), flat.strings.size());
        document.node_count = flat.nodes.size();
        document.status = CTOML_OK;
    } catch (const toml::parse_error &error) {
        document.status = CTOML_SYNTAX_ERROR;
        document.error_line = error.source().begin.line;
        document.error_column = error.source().begin.column;
        document.message = copy_text(error.description());
    } catch (const ctoml_detail::broken_assumption &error) {
        document.status = CTOML_UNEXPECTED;
        document.error_line = error.line;
        document.error_column = error.column;
        document.found = static_cast<uint32_t>(error.found);
        document.scope = copy_text(error.scope);
    }
    return document;
}

}  // namespace

extern "C" ctoml_document ctoml_parse(const char *text, size_t length) {
    try {
        return parse(text, length);
    } catch (...) {
        // Only std::bad_alloc gets here, thrown before anything of the result was kept.
        ctoml_document document{};
        document.status = CTOML_OUT_OF_MEMORY;
        return document;
    }
}

extern "C" void ctoml_free(ctoml_document *document) {
    std::free(document->nodes);
    std::free(document->strings);
    std::free(document->message);
    std::free(document->scope);
    *document = ctoml_document{};
}
