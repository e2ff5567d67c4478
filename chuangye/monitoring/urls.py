from django.urls import path

from chuangye.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("cockpit/", views.cockpit, name="cockpit"),
    path("cockpit/targets/<int:pk>/", views.target_detail, name="target"),
    path("cockpit/chain/", views.delivery_chain, name="chain"),
    path("cockpit/departments/<str:code>/", views.department_board, name="department"),
    path("board/", views.public_board, name="board"),
]
