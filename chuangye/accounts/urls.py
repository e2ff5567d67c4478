"""Sign-in, sign-out, second factor and password pages (URL names without a namespace)."""

from django.urls import path

from chuangye.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("account/security/", views.security, name="account-security"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("account/2fa/verify/", views.otp_verify, name="otp-verify"),
    path("account/2fa/enrol/", views.otp_enrol, name="otp-enrol"),
    path("account/2fa/recovery-codes/", views.recovery_codes, name="otp-recovery-codes"),
]
