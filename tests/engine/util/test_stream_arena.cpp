#include <QtTest>

#include <cstdint>
#include <cstring>
#include <vector>

#include "util/system_memory.h"

using namespace loom;

namespace {
uintptr_t address(const std::byte* p) {
    return reinterpret_cast<uintptr_t>(p);
}
}  // namespace

class TestStreamArena : public QObject {
    Q_OBJECT
  private slots:
    // Pieces follow one another in the order asked for, each 64-byte aligned, without overlapping.
    void piecesFollowEachOther() {
        StreamArena arena;
        std::vector<StreamArena::Piece> pieces;
        for (size_t bytes : {size_t{1}, size_t{64}, size_t{100}, size_t{4096}, size_t{3} << 20})
            pieces.push_back(arena.allocate(bytes));
        QCOMPARE(address(pieces[0].data) % 64, uintptr_t{0});
        QCOMPARE(address(pieces[1].data), address(pieces[0].data) + 64);
        QCOMPARE(address(pieces[2].data), address(pieces[1].data) + 64);
        QCOMPARE(address(pieces[3].data), address(pieces[2].data) + 128);
        QCOMPARE(address(pieces[4].data), address(pieces[3].data) + 4096);
        for (const auto& piece : pieces)
            QCOMPARE(piece.block.get(), pieces[0].block.get());
        // Every byte can be written and read back.
        std::memset(pieces[4].data, 0x5a, size_t{3} << 20);
        QCOMPARE(pieces[4].data[(size_t{3} << 20) - 1], std::byte{0x5a});
    }

    // A piece larger than a block gets a block of its own, 2 MiB pages through; what follows goes after it.
    void largePieceStartsABlock() {
        StreamArena arena;
        StreamArena::Piece small = arena.allocate(1000);
        const size_t large_bytes = (size_t{100} << 20) + 7;
        StreamArena::Piece large = arena.allocate(large_bytes);
        QVERIFY(large.block != small.block);
        QCOMPARE(large.data, large.block->data());
        QCOMPARE(address(large.data) % (size_t{2} << 20), uintptr_t{0});
        QVERIFY(large.block->size() >= large_bytes);
        QCOMPARE(large.block->size() % (size_t{2} << 20), size_t{0});
        StreamArena::Piece next = arena.allocate(64);
        QCOMPARE(next.block, large.block);
        QCOMPARE(address(next.data), address(large.data) + ((large_bytes + 63) / 64 * 64));
    }

    // A block lives while a piece of it does; once all are gone the arena starts a new one.
    void blocksLiveWithTheirPieces() {
        StreamArena arena;
        StreamArena::Piece first = arena.allocate(256);
        std::weak_ptr<StreamBuffer> block = first.block;
        StreamArena::Piece second = arena.allocate(256);
        first = {};
        QVERIFY(!block.expired());
        second = {};
        QVERIFY(block.expired());
        StreamArena::Piece third = arena.allocate(256);
        QCOMPARE(third.data, third.block->data());
    }
};

QTEST_APPLESS_MAIN(TestStreamArena)
#include "test_stream_arena.moc"
