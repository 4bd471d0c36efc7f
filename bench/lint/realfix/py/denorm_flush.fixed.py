# source: https://github.com/django-denorm/django-denorm/pull/37 ("using qs.iterator() in management denorm_flush, less memory usage")
# label: fixed  item: unbounded query (Django queryset iterated whole)
from denorm.models import DirtyInstance


def flush():
    while True:
        dirty = DirtyInstance.objects.filter(processed=False)
        if not dirty.exists():
            break
        for instance in dirty.iterator(chunk_size=500):
            instance.content_object.save()
            instance.delete()
