// The sidebar of conversations: newest first, a "New chat" button, rename in place (double-click or F2) and
// delete (with a confirmation) from the context menu. It only shows and asks; ChatController does the work.
#pragma once

#include <QWidget>

#include "store/conversation_store.h"

class QListWidget;
class QListWidgetItem;

namespace loom::ui {

class ConversationList : public QWidget {
    Q_OBJECT

  public:
    explicit ConversationList(QWidget* parent = nullptr);

    void setConversations(const QVector<Conversation>& conversations, qint64 current);
    qint64 current() const;
    QListWidget* list() const { return list_; }
    // Starts editing the current conversation's title.
    void renameCurrent();
    // Asks for confirmation, then emits deleteRequested for the current conversation.
    void deleteCurrent();

  signals:
    void newRequested();
    void selected(qint64 conversationId);
    void renameRequested(qint64 conversationId, const QString& title);
    void deleteRequested(qint64 conversationId);

  private:
    void onItemChanged(QListWidgetItem* item);
    void showContextMenu(const QPoint& at);

    QListWidget* list_;
    bool filling_ = false;  // setConversations() is changing items: not the user
};

}  // namespace loom::ui
