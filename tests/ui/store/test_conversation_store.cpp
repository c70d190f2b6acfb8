// The conversation store: what is saved comes back after reopening, edits keep the old branch, deleting
// removes a conversation, a corrupt file is refused clearly, and a writer killed in the middle of a
// transaction (or of a stream of replies) leaves a consistent database that lost only what was not committed.
#include <QCoreApplication>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>
#include <csignal>
#include <cstdio>

#include "store/conversation_store.h"

using namespace loom::ui;

namespace {

Message user_message(const QString& text) {
    Message m;
    m.role = QStringLiteral("user");
    m.content = text;
    return m;
}

// A reply whose content is exactly its tokens, so that a torn write would show.
Message reply_message(int tokens, int seed) {
    Message m;
    m.role = QStringLiteral("assistant");
    m.firstPosition = 7;
    m.model = QStringLiteral("/models/tiny");
    for (int i = 0; i < tokens; ++i) {
        ReplyToken token{seed + i, QStringLiteral(" w%1").arg(seed + i)};
        m.tokens.push_back(token);
        m.content += token.text;
    }
    m.stats.generatedTokens = tokens;
    m.stats.generateSeconds = 0.5;
    m.stats.stopReason = QStringLiteral("token limit");
    m.stats.seed = 42;
    return m;
}

bool reply_is_whole(const Message& m) {
    QString joined;
    for (const ReplyToken& t : m.tokens)
        joined += t.text;
    return joined == m.content && m.stats.generatedTokens == m.tokens.size();
}

QString integrity(const QString& file) {
    QString result;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
        db.setDatabaseName(file);
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("PRAGMA integrity_check")) && q.next()) result = q.value(0).toString();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("check"));
    return result;
}

// The child processes the tests kill. Each prints a line when it reaches the point the parent waits for.
int child_open_transaction(const QString& file) {
    ConversationStore store(file);
    qint64 kept = store.conversations().front().id;
    ConversationStore::Transaction transaction(store);
    store.createConversation(QStringLiteral("never committed"));
    store.renameConversation(kept, QStringLiteral("renamed, never committed"));
    std::puts("in-transaction");
    std::fflush(stdout);
    for (;;)
        QThread::sleep(1);  // killed here
}

int child_stream_replies(const QString& file) {
    ConversationStore store(file);
    qint64 id = store.createConversation(QStringLiteral("stream"));
    for (int i = 0;; ++i) {
        store.appendMessage(id, reply_message(400, i));
        std::printf("committed %d\n", i + 1);
        std::fflush(stdout);
    }
}

}  // namespace

class TestConversationStore : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString file(const QString& name) const { return dir_.filePath(name); }

    // Runs this executable as a child with `args`, waits for `line` on its output, then kills it (SIGKILL).
    // Returns the child's last "committed N" count (0 if none).
    int run_and_kill(const QStringList& args, const QByteArray& line, int extra_commits = 0) {
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), args);
        if (!child.waitForStarted()) qFatal("cannot start the child writer");
        QByteArray output;
        int committed = 0;
        QElapsedTimer timer;
        timer.start();
        int target = -1;
        while (timer.elapsed() < 30000) {
            child.waitForReadyRead(200);
            output += child.readAllStandardOutput();
            int at = output.lastIndexOf("committed ");
            if (at >= 0) committed = output.mid(at + 10).split('\n').front().toInt();
            if (target < 0 && output.contains(line)) target = committed + extra_commits;
            if (target >= 0 && committed >= target) break;
        }
        ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
        child.waitForFinished();
        output += child.readAllStandardOutput();
        int at = output.lastIndexOf("committed ");
        if (at >= 0) committed = output.mid(at + 10).split('\n').front().toInt();
        if (target < 0)
            qFatal("the child writer never got to '%s': %s", line.constData(), output.constData());
        return committed;
    }

  private slots:
    void savesAndReloads() {
        const QString path = file(QStringLiteral("reload.sqlite"));
        qint64 id = 0;
        {
            ConversationStore store(path);
            id = store.createConversation(QStringLiteral("First"), QStringLiteral("Be brief."));
            store.appendMessage(id, user_message(QStringLiteral("Hello\nthere")));
            store.appendMessage(id, reply_message(5, 100));
            store.setDraft(id, QStringLiteral("half a thought"));
            store.createConversation(QStringLiteral("Second"));
        }
        ConversationStore store(path);
        QVector<Conversation> conversations = store.conversations();
        QCOMPARE(conversations.size(), 2);
        std::optional<Conversation> first = store.conversation(id);
        QVERIFY(first);
        QCOMPARE(first->title, QStringLiteral("First"));
        QCOMPARE(first->systemPrompt, QStringLiteral("Be brief."));
        QCOMPARE(first->draft, QStringLiteral("half a thought"));
        QVector<Message> messages = store.messages(id);
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages[0].content, QStringLiteral("Hello\nthere"));
        QVERIFY(messages[0].isUser());
        const Message& reply = messages[1];
        QVERIFY(reply.isAssistant());
        QCOMPARE(reply.tokens.size(), 5);
        QCOMPARE(reply.tokens[2].id, 102);
        QCOMPARE(reply.tokens[2].text, QStringLiteral(" w102"));
        QCOMPARE(reply.firstPosition, qint64(7));
        QCOMPARE(reply.model, QStringLiteral("/models/tiny"));
        QCOMPARE(reply.stats.stopReason, QStringLiteral("token limit"));
        QCOMPARE(reply.stats.seed, quint64(42));
        QVERIFY(reply_is_whole(reply));

        store.renameConversation(id, QStringLiteral("Renamed"));
        QCOMPARE(store.conversation(id)->title, QStringLiteral("Renamed"));
        // The conversation with the newest message comes first.
        store.appendMessage(id, user_message(QStringLiteral("again")));
        QCOMPARE(store.conversations().front().id, id);
    }

    void editKeepsTheOldBranch() {
        ConversationStore store(file(QStringLiteral("edit.sqlite")));
        qint64 id = store.createConversation(QStringLiteral("Edits"));
        qint64 first = store.appendMessage(id, user_message(QStringLiteral("one")));
        store.appendMessage(id, reply_message(3, 0));
        qint64 second = store.appendMessage(id, user_message(QStringLiteral("two")));
        qint64 old_reply = store.appendMessage(id, reply_message(3, 10));

        // Regenerate the last reply: the old one is kept as an earlier version.
        qint64 new_reply = store.replaceFrom(id, old_reply, reply_message(4, 20));
        QCOMPARE(store.messages(id).size(), 4);
        QCOMPARE(store.messages(id).back().id, new_reply);
        QCOMPARE(store.replacedBy(new_reply).size(), 1);
        QCOMPARE(store.replacedBy(new_reply).front().id, old_reply);

        // Edit the second user message: it and everything after it become the old branch.
        qint64 edited = store.replaceFrom(id, second, user_message(QStringLiteral("two, edited")));
        QVector<Message> now = store.messages(id);
        QCOMPARE(now.size(), 3);
        QCOMPARE(now[0].id, first);
        QCOMPARE(now[2].content, QStringLiteral("two, edited"));
        QVector<Message> old_branch = store.replacedBy(edited);
        QCOMPARE(old_branch.size(), 2);
        QCOMPARE(old_branch[0].content, QStringLiteral("two"));
        QCOMPARE(old_branch[1].id, new_reply);
        QCOMPARE(store.replacingMessages(id), (QSet<qint64>{new_reply, edited}));

        // A message of another conversation cannot be replaced from this one, and nothing changes.
        qint64 other = store.createConversation(QStringLiteral("Other"));
        QVERIFY_THROWS_EXCEPTION(StoreError,
                                 store.replaceFrom(other, first, user_message(QStringLiteral("x"))));
        QCOMPARE(store.messages(other).size(), 0);
        QCOMPARE(store.messages(id).size(), 3);
    }

    void deletesAConversation() {
        ConversationStore store(file(QStringLiteral("delete.sqlite")));
        qint64 keep = store.createConversation(QStringLiteral("Keep"));
        qint64 drop = store.createConversation(QStringLiteral("Drop"));
        store.appendMessage(keep, user_message(QStringLiteral("stay")));
        store.appendMessage(drop, user_message(QStringLiteral("go")));
        store.deleteConversation(drop);
        QCOMPARE(store.conversations().size(), 1);
        QVERIFY(!store.conversation(drop));
        QCOMPARE(store.messages(drop).size(), 0);
        QCOMPARE(store.messages(keep).size(), 1);
    }

    void refusesACorruptFile() {
        const QString path = file(QStringLiteral("corrupt.sqlite"));
        QFile junk(path);
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write(QByteArray(4096, 'x'));
        junk.close();
        try {
            ConversationStore store(path);
            QFAIL("a file of junk was opened as a conversation database");
        } catch (const StoreError& e) {
            QVERIFY2(QString::fromStdString(e.what()).contains(QStringLiteral("not a conversation database")),
                     e.what());
        }
    }

    void survivesAKillInsideATransaction() {
        const QString path = file(QStringLiteral("killed.sqlite"));
        qint64 kept = 0;
        {
            ConversationStore store(path);
            kept = store.createConversation(QStringLiteral("kept"));
            store.appendMessage(kept, user_message(QStringLiteral("committed before the crash")));
        }
        run_and_kill({QStringLiteral("--child-open-transaction"), path}, "in-transaction");

        QCOMPARE(integrity(path), QStringLiteral("ok"));
        ConversationStore store(path);
        QVector<Conversation> conversations = store.conversations();
        QCOMPARE(conversations.size(), 1);
        QCOMPARE(conversations.front().title, QStringLiteral("kept"));
        QCOMPARE(store.messages(kept).size(), 1);
        store.appendMessage(kept, user_message(QStringLiteral("and it still takes writes")));
        QCOMPARE(store.messages(kept).size(), 2);
    }

    void survivesAKillWhileWritingReplies() {
        const QString path = file(QStringLiteral("stream.sqlite"));
        { ConversationStore store(path); }
        // Let it commit a few replies first, then kill it wherever it is (usually inside the next one).
        const int committed =
            run_and_kill({QStringLiteral("--child-stream-replies"), path}, "committed 1", 5);

        QCOMPARE(integrity(path), QStringLiteral("ok"));
        ConversationStore store(path);
        QCOMPARE(store.conversations().size(), 1);
        QVector<Message> replies = store.messages(store.conversations().front().id);
        // Every reply it reported is there, at most the one in flight more, and each is whole.
        QVERIFY2(
            replies.size() >= committed && replies.size() <= committed + 1,
            qPrintable(QStringLiteral("%1 replies stored, %2 reported").arg(replies.size()).arg(committed)));
        for (const Message& reply : replies)
            QVERIFY(reply_is_whole(reply));
    }
};

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);  // QtSql loads its driver as a plugin
    if (argc == 3 && QByteArray(argv[1]) == "--child-open-transaction")
        return child_open_transaction(QString::fromLocal8Bit(argv[2]));
    if (argc == 3 && QByteArray(argv[1]) == "--child-stream-replies")
        return child_stream_replies(QString::fromLocal8Bit(argv[2]));
    TestConversationStore test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_conversation_store.moc"
