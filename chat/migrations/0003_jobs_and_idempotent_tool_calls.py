import django.db.models.deletion
from django.db import migrations, models


def link_tool_calls(apps, schema_editor):
    """Each tool call gets its session; a call id seen before in the session (or none) is
    made unique; each assistant message records the calls it asked for."""
    ToolCall = apps.get_model("chat", "ToolCall")
    Message = apps.get_model("chat", "Message")
    seen = set()
    for call in ToolCall.objects.select_related("message").order_by("created_at", "id").iterator():
        call_id = call.call_id or "call"
        if (call.message.session_id, call_id) in seen:
            call_id = f"{call_id[:90]}~{call.pk.hex[:8]}"
        seen.add((call.message.session_id, call_id))
        ToolCall.objects.filter(pk=call.pk).update(session_id=call.message.session_id, call_id=call_id)
    for message in Message.objects.filter(role="assistant", tool_calls__isnull=False).distinct().iterator():
        requests = [
            {"id": call.call_id, "name": call.tool_name, "arguments": call.arguments, "raw_arguments": ""}
            for call in ToolCall.objects.filter(message=message).order_by("created_at", "id")
        ]
        Message.objects.filter(pk=message.pk).update(tool_requests=requests)


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0002_message_finish_reason"),
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="job",
            field=models.ForeignKey(
                blank=True,
                help_text="The agent turn that wrote this message.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="messages",
                to="jobs.job",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="tool_requests",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The tool calls the model asked for, in order: {id, name, arguments, raw_arguments}.",
            ),
        ),
        migrations.AddField(
            model_name="toolcall",
            name="session",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tool_calls",
                to="chat.chatsession",
            ),
        ),
        migrations.RunPython(link_tool_calls, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="toolcall",
            name="session",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="tool_calls", to="chat.chatsession"
            ),
        ),
        migrations.AlterField(
            model_name="toolcall",
            name="call_id",
            field=models.CharField(help_text="The provider's id for this call.", max_length=100),
        ),
        migrations.AddConstraint(
            model_name="toolcall",
            constraint=models.UniqueConstraint(fields=("session", "call_id"), name="toolcall_once_per_session"),
        ),
    ]
