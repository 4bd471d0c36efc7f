# Seeded with the checklist items (bench/lint, docs/benchmarks/lint.md): each LEAK line is one
# item; nothing here is a fix.
import functools
import socket
import sqlite3
import threading
import queue

from django.http import JsonResponse
from .models import Order

SEEN = {}
jobs = queue.Queue()


class Prices:
    @functools.lru_cache(maxsize=None)
    def price(self, sku):  # LEAK C1: lru_cache on a method keeps every instance
        return sku


def order_view(request):
    SEEN[request.path] = request.body  # LEAK C1: unbounded module cache
    f = open("/tmp/audit.log", "a")  # LEAK C7: file never closed
    f.write(request.path)
    s = socket.socket()  # LEAK C7: socket never closed
    s.connect(("127.0.0.1", 9000))
    conn = sqlite3.connect("app.db")  # LEAK C6: connection never closed
    rows = conn.execute("SELECT * FROM orders").fetchall()  # LEAK C3: no LIMIT
    total = 0
    for o in Order.objects.filter(user=request.user).all():  # LEAK C3: whole queryset
        total += o.amount
    return JsonResponse({"n": len(rows), "total": total})


def worker():
    while True:  # LEAK C4: thread with no stop
        job = jobs.get()
        job()


def start_view(request):
    threading.Thread(target=worker).start()
    return JsonResponse({})
