from django.db import migrations, models

JOB_CHANNELS = (
    "有组织劳务输出",
    "劳务中介或经纪人介绍",
    "自主外出务工",
    "就近就地务工",
    "公益岗位",
    "帮扶车间",
    "自主创业",
    "灵活就业",
)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_feedbatch_checksum"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="job_channel",
            field=models.CharField(
                blank=True,
                choices=[(v, v) for v in JOB_CHANNELS],
                default="",
                max_length=12,
                verbose_name="就业渠道",
            ),
        ),
        migrations.AddField(
            model_name="member",
            name="public_post_until",
            field=models.IntegerField(blank=True, null=True, verbose_name="公益性岗位补贴期满年份"),
        ),
    ]
