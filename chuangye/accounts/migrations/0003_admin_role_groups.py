"""Groups for the three separated administrators, and a start date for every password's age."""

from django.db import migrations
from django.db.models.functions import Now

#: group name → permissions (app_label, model, codename). The role → group mapping lives in
#: chuangye.accounts.choices.ROLE_GROUPS; the names are copied here as migrations must not
#: depend on code that changes later.
GROUPS = {
    "系统管理员": [
        (app, model, f"{action}_{model}")
        for app, model in [
            ("accounts", "user"),
            ("accounts", "membership"),
            ("accounts", "orgunit"),
            ("accounts", "department"),
        ]
        for action in ("add", "change", "delete", "view")
    ],
    "安全管理员": [
        ("accounts", "user", "view_user"),
        ("accounts", "user", "unlock_login"),
        ("accounts", "user", "reset_second_factor"),
        ("accounts", "user", "reset_password"),
        ("accounts", "securityauditentry", "view_securityauditentry"),
    ],
    "审计管理员": [("core", "auditentry", "view_auditentry")],
}


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, codename in perms:
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": codename}
            )
            group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


def start_password_age(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(password_changed_at__isnull=True).update(password_changed_at=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
        migrations.RunPython(start_password_age, migrations.RunPython.noop),
    ]
