#include "chat/conversation_list.h"

#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

namespace loom::ui {

namespace {
constexpr int kIdRole = Qt::UserRole + 1;
}

ConversationList::ConversationList(QWidget* parent) : QWidget(parent) {
    auto* add = new QPushButton(style()->standardIcon(QStyle::SP_FileIcon), tr("New chat"));
    add->setToolTip(tr("Start a new conversation (Ctrl+N)"));
    connect(add, &QPushButton::clicked, this, &ConversationList::newRequested);

    list_ = new QListWidget;
    list_->setContextMenuPolicy(Qt::CustomContextMenu);
    list_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    list_->setAccessibleName(tr("Conversations"));
    connect(list_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        if (!filling_ && item) emit selected(item->data(kIdRole).toLongLong());
    });
    connect(list_, &QListWidget::itemChanged, this, &ConversationList::onItemChanged);
    connect(list_, &QListWidget::customContextMenuRequested, this, &ConversationList::showContextMenu);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(add);
    layout->addWidget(list_, 1);
}

void ConversationList::setConversations(const QVector<Conversation>& conversations, qint64 current) {
    filling_ = true;
    list_->clear();
    for (const Conversation& c : conversations) {
        auto* item = new QListWidgetItem(c.title, list_);
        item->setData(kIdRole, c.id);
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        item->setToolTip(
            tr("Last changed %1").arg(QLocale().toString(c.updated.toLocalTime(), QLocale::ShortFormat)));
        if (c.id == current) list_->setCurrentItem(item);
    }
    filling_ = false;
}

qint64 ConversationList::current() const {
    QListWidgetItem* item = list_->currentItem();
    return item ? item->data(kIdRole).toLongLong() : 0;
}

void ConversationList::onItemChanged(QListWidgetItem* item) {
    if (filling_) return;
    const QString title = item->text().simplified();
    if (title.isEmpty()) return;  // the controller re-lists the old title
    emit renameRequested(item->data(kIdRole).toLongLong(), title);
}

void ConversationList::renameCurrent() {
    if (QListWidgetItem* item = list_->currentItem()) list_->editItem(item);
}

void ConversationList::deleteCurrent() {
    QListWidgetItem* item = list_->currentItem();
    if (!item) return;
    auto answer = QMessageBox::question(
        this, tr("Delete conversation"),
        tr("Delete “%1” and all its messages? This cannot be undone.").arg(item->text()));
    if (answer == QMessageBox::Yes) emit deleteRequested(item->data(kIdRole).toLongLong());
}

void ConversationList::showContextMenu(const QPoint& at) {
    QListWidgetItem* item = list_->itemAt(at);
    QMenu menu;
    if (item) {
        list_->setCurrentItem(item);
        menu.addAction(tr("Rename"), this, &ConversationList::renameCurrent);
        menu.addAction(tr("Delete…"), this, &ConversationList::deleteCurrent);
        menu.addSeparator();
    }
    menu.addAction(tr("New chat"), this, &ConversationList::newRequested);
    menu.exec(list_->viewport()->mapToGlobal(at));
}

}  // namespace loom::ui
