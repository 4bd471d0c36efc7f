# source: https://github.com/django-denorm/django-denorm/pull/37 ("using qs.iterator() in management denorm_flush, less memory usage")
# label: leaky  item: unbounded query (Django queryset iterated whole)
# Written here after the PR: flushing dirty instances iterates a queryset of every dirty row.
from denorm.models import DirtyInstance


def flush():
    while True:
        dirty = DirtyInstance.objects.filter(processed=False)
        if not dirty.exists():
            break
        for instance in dirty:  # LEAK
            instance.content_object.save()
            instance.delete()
