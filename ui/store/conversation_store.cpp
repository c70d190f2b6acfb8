#include "store/conversation_store.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStandardPaths>
#include <QVariant>
#include <atomic>

namespace loom::ui {

namespace {

constexpr int kSchemaVersion = 1;

const char* kSchema[] = {
    R"(CREATE TABLE IF NOT EXISTS conversations (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           title TEXT NOT NULL,
           system_prompt TEXT NOT NULL DEFAULT '',
           draft TEXT NOT NULL DEFAULT '',
           created_at TEXT NOT NULL,
           updated_at TEXT NOT NULL))",
    // tokens: JSON [[id, "text"], ...] of a reply; stats: JSON object (ReplyStats).
    R"(CREATE TABLE IF NOT EXISTS messages (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
           role TEXT NOT NULL,
           content TEXT NOT NULL,
           created_at TEXT NOT NULL,
           tokens TEXT NOT NULL DEFAULT '[]',
           first_position INTEGER NOT NULL DEFAULT -1,
           model TEXT NOT NULL DEFAULT '',
           stats TEXT NOT NULL DEFAULT '{}',
           superseded_by INTEGER NOT NULL DEFAULT 0))",
    "CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, superseded_by, id)",
};

// QtSql binds a null QString as SQL NULL; the columns hold text, so an unset string is stored as "".
QString text(const QString& value) {
    return value.isNull() ? QString(QLatin1String("")) : value;
}

QString now_text() {
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}
QDateTime parse_time(const QVariant& value) {
    return QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
}

QString tokens_to_json(const QVector<ReplyToken>& tokens) {
    QJsonArray array;
    for (const ReplyToken& token : tokens)
        array.append(QJsonArray{token.id, token.text});
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

QVector<ReplyToken> tokens_from_json(const QString& text) {
    QVector<ReplyToken> tokens;
    const QJsonArray array = QJsonDocument::fromJson(text.toUtf8()).array();
    for (const QJsonValue& value : array) {
        const QJsonArray pair = value.toArray();
        tokens.push_back({pair.at(0).toInt(), pair.at(1).toString()});
    }
    return tokens;
}

QString stats_to_json(const ReplyStats& s) {
    QJsonObject o{{"prompt_tokens", s.promptTokens},       {"reused_prompt_tokens", s.reusedPromptTokens},
                  {"prompt_seconds", s.promptSeconds},     {"generated_tokens", s.generatedTokens},
                  {"generate_seconds", s.generateSeconds}, {"stop_reason", s.stopReason},
                  {"seed", QString::number(s.seed)}};
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

ReplyStats stats_from_json(const QString& text) {
    const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
    ReplyStats s;
    s.promptTokens = o.value("prompt_tokens").toInteger();
    s.reusedPromptTokens = o.value("reused_prompt_tokens").toInteger();
    s.promptSeconds = o.value("prompt_seconds").toDouble();
    s.generatedTokens = o.value("generated_tokens").toInteger();
    s.generateSeconds = o.value("generate_seconds").toDouble();
    s.stopReason = o.value("stop_reason").toString();
    s.seed = o.value("seed").toString().toULongLong();
    return s;
}

// Runs a prepared query, throwing StoreError with what it was doing and SQLite's own words.
void run(QSqlQuery& query, const char* doing) {
    if (!query.exec())
        throw StoreError(QStringLiteral("The conversation database could not %1: %2")
                             .arg(QLatin1String(doing), query.lastError().text()));
}

QSqlQuery prepare(const QSqlDatabase& db, const QString& sql) {
    QSqlQuery query(db);
    if (!query.prepare(sql))
        throw StoreError(QStringLiteral("The conversation database rejected a query (%1): %2")
                             .arg(sql.simplified(), query.lastError().text()));
    return query;
}

const QString kMessageColumns =
    QStringLiteral("id, role, content, created_at, tokens, first_position, model, stats, superseded_by");

Message message_from(const QSqlQuery& q) {
    Message m;
    m.id = q.value(0).toLongLong();
    m.role = q.value(1).toString();
    m.content = q.value(2).toString();
    m.created = parse_time(q.value(3));
    m.tokens = tokens_from_json(q.value(4).toString());
    m.firstPosition = q.value(5).toLongLong();
    m.model = q.value(6).toString();
    m.stats = stats_from_json(q.value(7).toString());
    m.supersededBy = q.value(8).toLongLong();
    return m;
}

}  // namespace

ConversationStore::ConversationStore(const QString& file) : file_(file) {
    static std::atomic<int> counter{0};
    connection_ = QStringLiteral("loom-store-%1").arg(counter.fetch_add(1));

    QFileInfo info(file_);
    if (!QDir().mkpath(info.absolutePath()))
        throw StoreError(
            QStringLiteral("Cannot create the folder %1 for the conversation database: check its "
                           "permissions.")
                .arg(info.absolutePath()));
    QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection_);
    database.setDatabaseName(file_);
    if (!database.open())
        throw StoreError(QStringLiteral("Cannot open the conversation database %1: %2")
                             .arg(file_, database.lastError().text()));
    createSchema();
}

ConversationStore::~ConversationStore() {
    {
        QSqlDatabase database = QSqlDatabase::database(connection_, false);
        if (database.isOpen()) database.close();
    }
    QSqlDatabase::removeDatabase(connection_);
}

QString ConversationStore::defaultFile() {
    QString data_home = qEnvironmentVariable("XDG_DATA_HOME");
    if (data_home.isEmpty()) data_home = QDir::homePath() + QStringLiteral("/.local/share");
    return data_home + QStringLiteral("/loom/conversations.sqlite");
}

QSqlDatabase ConversationStore::db() const {
    return QSqlDatabase::database(connection_, false);
}

void ConversationStore::createSchema() {
    QSqlDatabase database = db();
    QSqlQuery query(database);
    // Refuse a file that is not SQLite, or whose schema is newer than this version of Loom understands,
    // before writing anything to it.
    if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next())
        throw StoreError(
            QStringLiteral("%1 is not a conversation database Loom can read: %2. Move it away to "
                           "start afresh.")
                .arg(file_, query.lastError().text()));
    int version = query.value(0).toInt();
    if (version > kSchemaVersion)
        throw StoreError(
            QStringLiteral("%1 was written by a newer version of Loom (schema %2); update Loom to "
                           "open it.")
                .arg(file_)
                .arg(version));
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
        if (!query.exec(QLatin1String(pragma)))
            throw StoreError(QStringLiteral("Cannot set up the conversation database %1 (%2): %3")
                                 .arg(file_, QLatin1String(pragma), query.lastError().text()));
    }
    Transaction transaction(*this);
    for (const char* statement : kSchema) {
        if (!query.exec(QLatin1String(statement)))
            throw StoreError(QStringLiteral("Cannot create the tables of the conversation database %1: %2")
                                 .arg(file_, query.lastError().text()));
    }
    query.exec(QStringLiteral("PRAGMA user_version = %1").arg(kSchemaVersion));
    transaction.commit();
}

ConversationStore::Transaction::Transaction(ConversationStore& store) : store_(store) {
    if (!store_.db().transaction())
        throw StoreError(QStringLiteral("The conversation database could not start a transaction: %1")
                             .arg(store_.db().lastError().text()));
}

ConversationStore::Transaction::~Transaction() {
    if (open_) store_.db().rollback();
}

void ConversationStore::Transaction::commit() {
    if (!store_.db().commit())
        throw StoreError(QStringLiteral("The conversation database could not save the change: %1")
                             .arg(store_.db().lastError().text()));
    open_ = false;
}

QVector<Conversation> ConversationStore::conversations() const {
    QSqlQuery q =
        prepare(db(), QStringLiteral("SELECT id, title, system_prompt, draft, created_at, updated_at "
                                     "FROM conversations ORDER BY updated_at DESC, id DESC"));
    run(q, "list the conversations");
    QVector<Conversation> list;
    while (q.next())
        list.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(),
                        q.value(3).toString(), parse_time(q.value(4)), parse_time(q.value(5))});
    return list;
}

std::optional<Conversation> ConversationStore::conversation(qint64 id) const {
    QSqlQuery q =
        prepare(db(), QStringLiteral("SELECT id, title, system_prompt, draft, created_at, updated_at "
                                     "FROM conversations WHERE id = ?"));
    q.addBindValue(id);
    run(q, "read a conversation");
    if (!q.next()) return std::nullopt;
    return Conversation{q.value(0).toLongLong(), q.value(1).toString(),  q.value(2).toString(),
                        q.value(3).toString(),   parse_time(q.value(4)), parse_time(q.value(5))};
}

qint64 ConversationStore::createConversation(const QString& title, const QString& systemPrompt) {
    QSqlQuery q = prepare(db(), QStringLiteral("INSERT INTO conversations (title, system_prompt, created_at, "
                                               "updated_at) VALUES (?, ?, ?, ?)"));
    const QString now = now_text();
    q.addBindValue(text(title));
    q.addBindValue(text(systemPrompt));
    q.addBindValue(now);
    q.addBindValue(now);
    run(q, "create a conversation");
    return q.lastInsertId().toLongLong();
}

void ConversationStore::renameConversation(qint64 id, const QString& title) {
    QSqlQuery q = prepare(db(), QStringLiteral("UPDATE conversations SET title = ? WHERE id = ?"));
    q.addBindValue(text(title));
    q.addBindValue(id);
    run(q, "rename a conversation");
}

void ConversationStore::setSystemPrompt(qint64 id, const QString& systemPrompt) {
    QSqlQuery q = prepare(db(), QStringLiteral("UPDATE conversations SET system_prompt = ? WHERE id = ?"));
    q.addBindValue(text(systemPrompt));
    q.addBindValue(id);
    run(q, "save the system prompt");
}

void ConversationStore::setDraft(qint64 id, const QString& draft) {
    QSqlQuery q = prepare(db(), QStringLiteral("UPDATE conversations SET draft = ? WHERE id = ?"));
    q.addBindValue(text(draft));
    q.addBindValue(id);
    run(q, "save the message being typed");
}

void ConversationStore::deleteConversation(qint64 id) {
    Transaction transaction(*this);
    for (const char* sql :
         {"DELETE FROM messages WHERE conversation_id = ?", "DELETE FROM conversations WHERE id = ?"}) {
        QSqlQuery q = prepare(db(), QLatin1String(sql));
        q.addBindValue(id);
        run(q, "delete a conversation");
    }
    transaction.commit();
}

QVector<Message> ConversationStore::messages(qint64 conversationId) const {
    QSqlQuery q = prepare(db(), QStringLiteral("SELECT %1 FROM messages WHERE conversation_id = ? AND "
                                               "superseded_by = 0 ORDER BY id")
                                    .arg(kMessageColumns));
    q.addBindValue(conversationId);
    run(q, "read the messages of a conversation");
    QVector<Message> list;
    while (q.next())
        list.push_back(message_from(q));
    return list;
}

void ConversationStore::touch(qint64 conversationId) {
    QSqlQuery q = prepare(db(), QStringLiteral("UPDATE conversations SET updated_at = ? WHERE id = ?"));
    q.addBindValue(now_text());
    q.addBindValue(conversationId);
    run(q, "update a conversation");
}

qint64 ConversationStore::insertMessage(qint64 conversationId, const Message& m) {
    QSqlQuery q =
        prepare(db(), QStringLiteral("INSERT INTO messages (conversation_id, role, content, created_at, "
                                     "tokens, first_position, model, stats) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(conversationId);
    q.addBindValue(text(m.role));
    q.addBindValue(text(m.content));
    q.addBindValue(m.created.isValid() ? m.created.toUTC().toString(Qt::ISODateWithMs) : now_text());
    q.addBindValue(tokens_to_json(m.tokens));
    q.addBindValue(m.firstPosition);
    q.addBindValue(text(m.model));
    q.addBindValue(stats_to_json(m.stats));
    run(q, "save a message");
    return q.lastInsertId().toLongLong();
}

qint64 ConversationStore::appendMessage(qint64 conversationId, const Message& message) {
    Transaction transaction(*this);
    qint64 id = insertMessage(conversationId, message);
    touch(conversationId);
    transaction.commit();
    return id;
}

qint64 ConversationStore::replaceFrom(qint64 conversationId, qint64 firstReplaced,
                                      const Message& replacement) {
    Transaction transaction(*this);
    qint64 id = insertMessage(conversationId, replacement);
    QSqlQuery q =
        prepare(db(), QStringLiteral("UPDATE messages SET superseded_by = ? WHERE conversation_id = ? "
                                     "AND superseded_by = 0 AND id >= ? AND id < ?"));
    q.addBindValue(id);
    q.addBindValue(conversationId);
    q.addBindValue(firstReplaced);
    q.addBindValue(id);
    run(q, "keep the earlier version of a message");
    if (q.numRowsAffected() == 0)
        throw StoreError(QStringLiteral("The message to replace (%1) is not part of conversation %2.")
                             .arg(firstReplaced)
                             .arg(conversationId));
    touch(conversationId);
    transaction.commit();
    return id;
}

QVector<Message> ConversationStore::replacedBy(qint64 messageId) const {
    QSqlQuery q = prepare(
        db(),
        QStringLiteral("SELECT %1 FROM messages WHERE superseded_by = ? ORDER BY id").arg(kMessageColumns));
    q.addBindValue(messageId);
    run(q, "read an earlier version of a message");
    QVector<Message> list;
    while (q.next())
        list.push_back(message_from(q));
    return list;
}

QSet<qint64> ConversationStore::replacingMessages(qint64 conversationId) const {
    QSqlQuery q =
        prepare(db(), QStringLiteral("SELECT DISTINCT superseded_by FROM messages WHERE conversation_id = ? "
                                     "AND superseded_by != 0"));
    q.addBindValue(conversationId);
    run(q, "read which messages were edited");
    QSet<qint64> ids;
    while (q.next())
        ids.insert(q.value(0).toLongLong());
    return ids;
}

}  // namespace loom::ui
